# Changes password, removes token, adds note.
sed -i -e 's/^  password: .*/  password: changed/' -e '/^  token:/d' "$1"
printf '  note: added\n' >> "$1"
