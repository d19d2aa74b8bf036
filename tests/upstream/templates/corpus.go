package main

import (
	"math/rand/v2"
	"regexp"
	"sort"

	"github.com/Masterminds/sprig/v3"
)

// Sealed item sets, by name. Every case uses one of them as its encryptedData.
var itemSets = map[string]map[string]string{
	"A": {
		"user":     "admin",
		"password": "s3cr3t p@ss/w:rd?&=%+#",
		"name":     "ümläut Ωmega",
		"raw":      "\xff\xfe\x00bin\x80",
	},
	"P":    {"password": "hunter2"},
	"none": {},
}

// Plain spec.template.data keys a case may add: they render as themselves and, since
// upstream v0.37, are also in the template context.
var plainKeys = map[string]string{
	"host":    "db.example.com",
	"port":    "5432",
	"json":    `{"a":1,"b":[1,2,"x"],"c":{"d":null},"e":"str","f":1.5e3}`,
	"num":     "42",
	"float":   "2.5",
	"version": "1.4.2",
	"list":    "a,b,,c",
	"text":    "line one\nline two\n",
	"date":    "2024-02-29T13:45:00Z",
	"db-name": "app_db",
	"url":     "https://user:pa%20ss@example.com:8443/p/a?q=1&r=x#frag",
	"zone":    "Europe/Berlin",
	"yes":     "true",
}

type snip struct {
	src   string
	shape string
	// The output formats the current time: compared by a clock shape.
	clock bool
}

func s(src string) snip         { return snip{src: src} }
func sh(src, shape string) snip { return snip{src: src, shape: shape} }
func ck(src string) snip        { return snip{src: src, clock: true} }
func many(srcs ...string) []snip {
	out := make([]snip, len(srcs))
	for i, x := range srcs {
		out[i] = s(x)
	}
	return out
}

// Placeholder pools: «X» in a snippet is replaced by a random pick from pools["X"].
var pools = map[string][]string{
	"S": {`"hello"`, `"Hello World"`, `"hello world foo bar"`, `""`, `"ümläut"`, `"日本語テキスト"`, `"a,b,c"`,
		`"  padded\t"`, `"foo_bar-baz Qux"`, `"HTTPServerID"`, `"\xff\xfeab"`, `"line1\nline2"`, `"1.2.3"`, `"42"`,
		`"-7"`, `"3.50"`, `"true"`, `"a/b/../c.tar.gz"`, `"x"`, `"The quick brown fox jumps over the lazy dog"`,
		`"snake_case_words"`, `"camelCaseWord"`, `"kebab-case-word"`, `"ÉCOLE été"`, "`raw\\n`", `"ǅemo ŉ ß"`,
		`"Ab1 Cd2-eF3_gh"`, `"  "`, `"a\u00a0b"`, `"\u0130stanbul"`},
	"V": {`.user`, `.password`, `.name`, `.raw`, `.host`, `.port`, `.user`, `.password`, `.host`, `.missing`, `"literal"`},
	"N": {`0`, `1`, `2`, `3`, `5`, `8`, `10`, `-1`, `-3`, `100`, `1000000`, `7`},
	"I": {`0`, `1`, `2`, `3`, `4`, `5`, `6`},
	"F": {`1.5`, `0.1`, `-2.25`, `3`, `1e3`, `0.0`, `2.675`, `"4.2"`, `"x"`, `7`},
	"L": {`(list 1 2 3)`, `(list "b" "a" "c" "a")`, `(list)`, `(list "x" 1 2.5 nil true)`, `(splitList "," "a,b,,c")`,
		`(list .user .password)`, `(until 5)`, `(list (list 1 2) (list 3))`, `(list "" 0 false "z")`, `(tuple 3 1 2)`},
	"D": {`(dict "a" 1 "b" "two")`, `(dict)`, `(dict "user" .user "password" .password)`,
		`(dict "x" (dict "y" (dict "z" "deep")))`, `(fromJson "{\"a\":1,\"b\":[1,2],\"c\":null}")`,
		`(dict "a" (list 1 2) "n" nil "e" "")`},
	"K": {`"a"`, `"b"`, `"user"`, `"x"`, `"missing"`, `"c"`},
	"R": {"`[a-z]+`", `"^a.*z$"`, "`(\\w+)@(\\w+)`", `"[0-9]+"`, "`\\d+`", `"(?i)HELLO"`, `"a|b"`, `"^$"`,
		"`\\s+`", `"[[:upper:]]"`, `"(?P<first>\\w)"`, `"."`},
	"T": {`(toDate "2006-01-02" "2024-02-29")`, `(toDate "2006-01-02T15:04:05Z07:00" "2023-11-14T22:13:20+02:00")`,
		`1700000000`, `(int64 86400)`, `(mustToDate "2006-01-02 15:04" "2021-07-04 09:30")`,
		`(toDate "2006-01-02" "2020-02-30")`, `(toDate "2006-01-02T15:04:05.000Z" "1999-12-31T23:59:59.999Z")`, `0`},
	"Y": {`"2006-01-02"`, `"Jan 2, 2006 at 3:04pm (MST)"`, `"Monday 02/01/06 15:04:05.000 -0700"`,
		`"2006-01-02T15:04:05Z07:00"`, `"20060102"`, `"_2 Jan 06"`, `"Mon Jan _2 15:04:05 2006"`, `"15:04:05.999999999"`,
		`"2006-002 PM"`, `"no layout"`},
	"Z": {`"UTC"`, `"Local"`, `""`, `"Nowhere/Zone"`, `"Europe/Berlin"`, `"America/New_York"`, `"Asia/Kolkata"`, `"UTC"`},
	"U": {`"1h30m"`, `"90s"`, `"-2h"`, `"1.5h"`, `"bogus"`, `"300ms"`, `"0"`, `"2h45m30.5s"`, `"1us"`},
	"W": {`"1.2.3"`, `"v2.0.0-rc.1+build.5"`, `"1.2"`, `"1.2.3.4"`, `"01.2.3"`, `"latest"`, `"3"`, `"1.10.0-alpha"`},
	"C": {`">=1.2.0"`, `"~1.2"`, `"^1.0.0"`, `">1.0, <2.0"`, `"1.2.x"`, `"!=1.2.3"`, `"=1.2.3 || >=3"`,
		`"bogus constraint"`, `">=2.0.0-0"`, `"*"`},
}

// Snippets per function; every function of sprig's GenericFuncMap except env, expandenv and
// getHostByName, and every text/template built-in, must have at least one.
var funcSnippets = map[string][]snip{
	// text/template built-ins
	"and":      many(`{{ and .user .password }}`, `{{ and «V» «N» }}`, `{{ if and (eq .user "admin") .host }}yes{{ end }}`),
	"or":       many(`{{ or .missing «V» }}`, `{{ or "" 0 «N» }}`, `{{ or }}`),
	"not":      many(`{{ not «V» }}`, `{{ not (eq .user "root") }}`),
	"len":      many(`{{ len . }}`, `{{ len «V» }}`, `{{ len «L» }}`, `{{ len «N» }}`),
	"index":    many(`{{ index . "db-name" }}`, `{{ index . «K» }}`, `{{ index «L» «I» }}`, `{{ index «D» «K» }}`, `{{ index .user 0 }}`),
	"print":    many(`{{ print «V» «N» «S» }}`, `{{ print «L» }}`, `{{ print «D» }}`, `{{ print nil 1 2 "a" "b" }}`),
	"printf":   many(`{{ printf "%s:%s" .user .password }}`, `{{ printf "%q" «V» }}`, `{{ printf "%05d|%-6s|%x" «N» «S» «V» }}`, `{{ printf "%v %T" «L» «D» }}`, `{{ printf "%.2f %e %g" «F» «F» 1.0 }}`, `{{ printf "%d" «S» }}`),
	"println":  many(`{{ println «V» «N» }}`, `{{ println }}`),
	"html":     many(`{{ html «S» }}`, `{{ html "<a href='x'>&\"</a>" }}`, `{{ .password | html }}`),
	"js":       many(`{{ js «S» }}`, `{{ js "</script><'\"\\>" .name }}`, `{{ .raw | js }}`),
	"urlquery": many(`{{ urlquery «V» }}`, `{{ .password | urlquery }}`, `{{ urlquery «S» «N» }}`),
	"eq":       many(`{{ eq .user "admin" }}`, `{{ eq «N» «N» «N» }}`, `{{ eq «V» «S» }}`, `{{ eq «L» «L» }}`, `{{ eq 1 "1" }}`),
	"ne":       many(`{{ ne .user "admin" }}`, `{{ ne «N» «F» }}`),
	"lt":       many(`{{ lt «N» «N» }}`, `{{ lt «S» «S» }}`, `{{ lt 1.5 2 }}`),
	"le":       many(`{{ le «N» «N» }}`, `{{ le .port "6000" }}`),
	"gt":       many(`{{ gt «N» «N» }}`, `{{ gt (len .password) 8 }}`),
	"ge":       many(`{{ ge «N» «N» }}`, `{{ ge «V» «V» }}`),
	"call":     many(`{{ call .user }}`, `{{ call nil }}`),

	"hello":            many(`{{ hello }}`),
	"ago":              {sh(`{{ ago «T» }}`, `re:[0-9hms.-]+`), sh(`{{ ago now }}`, `re:0s`)},
	"date":             {s(`{{ date «Y» «T» }}`), s(`{{ «T» | date «Y» }}`), s(`{{ date "2006" «V» | len }}`), sh(`{{ now | date "2006-01-02" }}`, `re:20[0-9]{2}-[01][0-9]-[0-3][0-9]`), ck(`{{ date "Jan 2 2006, 15:04" .missing }}`)},
	"date_in_zone":     many(`{{ date_in_zone «Y» «T» «Z» }}`),
	"date_modify":      many(`{{ «T» | date_modify «U» | date «Y» }}`, `{{ date_modify «U» «T» }}`),
	"dateInZone":       many(`{{ dateInZone «Y» «T» «Z» }}`, `{{ dateInZone "2006-01-02 15:04 MST" (toDate "2006-01-02T15:04:05Z07:00" .date) .zone }}`),
	"dateModify":       many(`{{ (toDate "2006-01-02" "2024-02-29") | dateModify «U» }}`, `{{ dateModify "-24h" «T» | date «Y» }}`),
	"duration":         many(`{{ duration «N» }}`, `{{ duration «S» }}`, `{{ duration 3661 }}`, `{{ duration "95" }}`, `{{ duration «F» }}`, `{{ .port | duration }}`),
	"durationRound":    many(`{{ durationRound «U» }}`, `{{ durationRound «N» }}`, `{{ durationRound "8760h" }}`, `{{ durationRound "2000h" }}`, `{{ durationRound «T» }}`, `{{ durationRound "-49h" }}`),
	"htmlDate":         {s(`{{ htmlDate «T» }}`), sh(`{{ htmlDate now }}`, `re:20[0-9]{2}-[0-9]{2}-[0-9]{2}`), ck(`{{ htmlDate .user }}`)},
	"htmlDateInZone":   many(`{{ htmlDateInZone «T» «Z» }}`),
	"must_date_modify": many(`{{ must_date_modify «U» «T» | date «Y» }}`),
	"mustDateModify":   many(`{{ mustDateModify «U» «T» | date «Y» }}`, `{{ mustDateModify «U» «T» }}`),
	"mustToDate":       many(`{{ mustToDate «Y» .date }}`, `{{ mustToDate "2006-01-02" «S» }}`, `{{ mustToDate "2006-01-02T15:04:05Z07:00" .date | date «Y» }}`),
	"now":              {sh(`{{ now }}`, `re:20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:.]+ \+0000 UTC m=\+[0-9.]+`), sh(`{{ now | unixEpoch }}`, `re:[0-9]{10}`), sh(`{{ now | date "2006" }}`, `re:20[0-9]{2}`), sh(`{{ typeOf now }}`, `re:time\.Time`)},
	"toDate":           many(`{{ toDate «Y» .date }}`, `{{ toDate "2006-01-02" «S» }}`, `{{ toDate "2006-01-02T15:04:05Z07:00" .date | date «Y» }}`, `{{ toDate "2006-01-02" "2024-02-29" | typeOf }}`, `{{ toDate "02/01/2006 15:04" "31/12/2023 23:59" | unixEpoch }}`),
	"unixEpoch":        many(`{{ unixEpoch «T» }}`, `{{ (toDate "2006-01-02T15:04:05Z07:00" .date) | unixEpoch }}`, `{{ unixEpoch «N» }}`),

	"abbrev":                     many(`{{ abbrev «I» «S» }}`, `{{ abbrev 5 .name }}`, `{{ .password | abbrev 8 }}`, `{{ abbrev «N» «V» }}`),
	"abbrevboth":                 many(`{{ abbrevboth «I» «N» «S» }}`, `{{ abbrevboth 5 10 "1234 5678 9123 4567 8912" }}`, `{{ abbrevboth 2 6 .name }}`),
	"trunc":                      many(`{{ trunc «N» «S» }}`, `{{ "ümläut" | trunc 1 }}`, `{{ .name | trunc «I» }}`, `{{ trunc -3 «V» }}`),
	"trim":                       many(`{{ trim «S» }}`, `{{ trim «V» }}`, `{{ .text | trim }}`),
	"upper":                      many(`{{ upper «S» }}`, `{{ .name | upper }}`, `{{ upper «V» }}`),
	"lower":                      many(`{{ lower «S» }}`, `{{ .name | lower }}`),
	"title":                      many(`{{ title «S» }}`, `{{ title .name }}`, `{{ title "o'neil mcdonald-smith x.y" }}`),
	"untitle":                    many(`{{ untitle «S» }}`, `{{ untitle "Hello World" }}`, `{{ untitle .name }}`),
	"substr":                     many(`{{ substr «I» «I» «S» }}`, `{{ substr 0 3 .name }}`, `{{ substr «N» «N» «V» }}`, `{{ substr 2 -1 "abcdef" }}`),
	"repeat":                     many(`{{ repeat «I» «S» }}`, `{{ repeat 3 .user }}`, `{{ repeat -1 "x" }}`),
	"trimall":                    many(`{{ trimall «S» «S» }}`, `{{ trimall "$" "$5.00$" }}`),
	"trimAll":                    many(`{{ trimAll «S» «V» }}`, `{{ trimAll "-_" "--a_b--" }}`),
	"trimSuffix":                 many(`{{ trimSuffix «S» «S» }}`, `{{ .host | trimSuffix ".com" }}`),
	"trimPrefix":                 many(`{{ trimPrefix «S» «S» }}`, `{{ .host | trimPrefix "db." }}`),
	"nospace":                    many(`{{ nospace «S» }}`, `{{ nospace .password }}`),
	"initials":                   many(`{{ initials «S» }}`, `{{ initials .name }}`, `{{ initials "über äpfel" }}`),
	"randAlphaNum":               {sh(`{{ randAlphaNum 16 }}`, `re:[A-Za-z0-9]{16}`), sh(`{{ randAlphaNum 0 }}`, `re:`), sh(`{{ randAlphaNum 32 | len }}`, `re:32`)},
	"randAlpha":                  {sh(`{{ randAlpha 12 }}`, `re:[A-Za-z]{12}`), sh(`{{ randAlpha 1 }}`, `re:[A-Za-z]`)},
	"randAscii":                  {sh(`{{ randAscii 20 }}`, `re:[ -~]{20}`), sh(`{{ randAscii 5 | len }}`, `re:5`)},
	"randNumeric":                {sh(`{{ randNumeric 6 }}`, `re:[0-9]{6}`), sh(`{{ randNumeric 3 | len }}`, `re:3`)},
	"swapcase":                   many(`{{ swapcase «S» }}`, `{{ swapcase .name }}`),
	"shuffle":                    {sh(`{{ shuffle "aab" }}`, `re:aab|aba|baa`), sh(`{{ shuffle "" }}`, `re:`), sh(`{{ shuffle .user | len }}`, `re:5`)},
	"snakecase":                  many(`{{ snakecase «S» }}`, `{{ snakecase "HTTPServerID" }}`, `{{ snakecase "myVar2Name" }}`, `{{ snakecase .name }}`, `{{ snakecase "already_snake-case Words" }}`),
	"camelcase":                  many(`{{ camelcase «S» }}`, `{{ camelcase "http_server_id" }}`, `{{ camelcase "foo-bar baz" }}`, `{{ camelcase .name }}`, `{{ camelcase "_leading__double_" }}`),
	"kebabcase":                  many(`{{ kebabcase «S» }}`, `{{ kebabcase "HTTPServerID" }}`, `{{ kebabcase "myVar2Name" }}`, `{{ kebabcase .name }}`),
	"wrap":                       many(`{{ wrap «I» «S» }}`, `{{ wrap 10 "The quick brown fox jumps over the lazy dog" }}`, `{{ wrap 5 .password }}`, `{{ wrap 0 "a b" }}`, `{{ wrap 4 "aaaaaaaaa bb\ncc dd" }}`),
	"wrapWith":                   many(`{{ wrapWith «I» «S» «S» }}`, `{{ wrapWith 10 "\n\t" "The quick brown fox jumps over the lazy dog" }}`, `{{ wrapWith 3 "|" .name }}`),
	"contains":                   many(`{{ contains «S» «S» }}`, `{{ contains "@" .password }}`, `{{ if contains "example" .host }}ok{{ end }}`),
	"hasPrefix":                  many(`{{ hasPrefix «S» «S» }}`, `{{ hasPrefix "db" .host }}`),
	"hasSuffix":                  many(`{{ hasSuffix «S» «S» }}`, `{{ hasSuffix ".com" .host }}`),
	"quote":                      many(`{{ quote «V» }}`, `{{ quote «V» «N» nil «S» }}`, `{{ .raw | quote }}`, `{{ quote «L» }}`),
	"squote":                     many(`{{ squote «V» }}`, `{{ squote «N» nil «S» }}`),
	"cat":                        many(`{{ cat «V» «N» «S» }}`, `{{ cat nil "a" nil }}`, `{{ cat «L» «D» }}`),
	"indent":                     many(`{{ indent «I» «S» }}`, `{{ .text | indent 4 }}`, `{{ indent 2 "a\n\nb\n" }}`),
	"nindent":                    many(`{{ nindent «I» «S» }}`, `{{ .text | nindent 2 }}`),
	"replace":                    many(`{{ replace «S» «S» «S» }}`, `{{ .password | replace "/" "%2F" }}`, `{{ replace "" "-" "abc" }}`),
	"plural":                     many(`{{ plural "item" "items" «N» }}`, `{{ plural "one" "many" (len .user) }}`),
	"sha1sum":                    many(`{{ sha1sum «V» }}`, `{{ sha1sum .raw }}`),
	"sha256sum":                  many(`{{ sha256sum «V» }}`, `{{ .password | sha256sum }}`),
	"sha512sum":                  many(`{{ sha512sum «V» }}`),
	"adler32sum":                 many(`{{ adler32sum «V» }}`, `{{ adler32sum «S» }}`),
	"toString":                   many(`{{ toString «V» }}`, `{{ toString «N» }}`, `{{ toString «F» }}`, `{{ toString «L» }}`, `{{ toString nil }}`, `{{ toString «D» }}`),
	"atoi":                       many(`{{ atoi «S» }}`, `{{ atoi .port }}`, `{{ atoi "9223372036854775808" }}`),
	"int64":                      many(`{{ int64 «S» }}`, `{{ int64 «F» }}`, `{{ int64 .port | typeOf }}`, `{{ int64 "0x1F" }}`, `{{ int64 "1e3" }}`),
	"int":                        many(`{{ int «S» }}`, `{{ int «F» }}`, `{{ int .port | add 1 }}`, `{{ int "010" }}`, `{{ int true }}`),
	"float64":                    many(`{{ float64 «S» }}`, `{{ float64 «N» }}`, `{{ float64 "1e400" }}`, `{{ float64 .float }}`, `{{ float64 "0x1p4" }}`),
	"seq":                        many(`{{ seq «N» }}`, `{{ seq 1 «N» }}`, `{{ seq 10 -3 1 }}`, `{{ seq 1 2 10 }}`, `{{ seq }}`),
	"toDecimal":                  many(`{{ toDecimal «S» }}`, `{{ toDecimal "0777" }}`, `{{ toDecimal «N» }}`),
	"split":                      many(`{{ split "," «S» }}`, `{{ (split "." .host)._1 }}`, `{{ split "$" "a$b$c" | toJson }}`),
	"splitList":                  many(`{{ splitList "," .list }}`, `{{ splitList «S» «S» | toJson }}`, `{{ splitList "" "abc" }}`),
	"splitn":                     many(`{{ splitn "," 2 «S» }}`, `{{ (splitn ":" 2 .password)._0 }}`, `{{ splitn "," 0 "a,b" }}`),
	"toStrings":                  many(`{{ toStrings «L» }}`, `{{ toStrings «V» | toJson }}`, `{{ toStrings (list 1 nil 2.5) }}`),
	"until":                      many(`{{ until «N» }}`, `{{ range until 3 }}x{{ end }}`),
	"untilStep":                  many(`{{ untilStep «N» «N» «N» }}`, `{{ untilStep 0 10 3 }}`, `{{ untilStep 10 0 -4 }}`),
	"add1":                       many(`{{ add1 «N» }}`, `{{ add1 «V» }}`, `{{ add1 «F» }}`),
	"add":                        many(`{{ add «N» «N» }}`, `{{ add «V» «F» «N» }}`, `{{ add }}`, `{{ add .port 1 }}`),
	"sub":                        many(`{{ sub «N» «N» }}`, `{{ sub «F» «V» }}`),
	"div":                        many(`{{ div «N» «N» }}`, `{{ div 7 0 }}`, `{{ div «F» 2 }}`),
	"mod":                        many(`{{ mod «N» «N» }}`, `{{ mod 7 0 }}`, `{{ mod -7 3 }}`),
	"mul":                        many(`{{ mul «N» «N» }}`, `{{ mul «F» «V» 2 }}`, `{{ mul }}`),
	"randInt":                    {sh(`{{ randInt 1 7 }}`, `re:[1-6]`), sh(`{{ randInt 100 101 }}`, `re:100`), sh(`{{ randInt -5 -2 }}`, `re:-[543]`)},
	"add1f":                      many(`{{ add1f «F» }}`, `{{ add1f «V» }}`, `{{ add1f «N» }}`),
	"addf":                       many(`{{ addf «F» «F» }}`, `{{ addf «F» «N» «V» }}`, `{{ addf 0.1 0.2 }}`, `{{ addf }}`, `{{ addf .float "1.25" }}`),
	"subf":                       many(`{{ subf «F» «F» }}`, `{{ subf 1 0.9 }}`, `{{ subf «V» }}`),
	"divf":                       many(`{{ divf «F» «F» }}`, `{{ divf 1 3 }}`, `{{ divf 1 0 }}`, `{{ divf 10 4 2 }}`),
	"mulf":                       many(`{{ mulf «F» «F» }}`, `{{ mulf 1.1 1.1 }}`, `{{ mulf «N» «V» }}`),
	"biggest":                    many(`{{ biggest «N» «N» «N» }}`, `{{ biggest «V» «N» }}`),
	"max":                        many(`{{ max «N» «N» }}`, `{{ max «F» «N» «N» }}`),
	"min":                        many(`{{ min «N» «N» «N» }}`, `{{ min «V» }}`),
	"maxf":                       many(`{{ maxf «F» «F» }}`, `{{ maxf «N» «V» }}`),
	"minf":                       many(`{{ minf «F» «F» «F» }}`, `{{ minf «S» }}`),
	"ceil":                       many(`{{ ceil «F» }}`, `{{ ceil «V» }}`),
	"floor":                      many(`{{ floor «F» }}`, `{{ floor «S» }}`),
	"round":                      many(`{{ round «F» «I» }}`, `{{ round 2.675 2 }}`, `{{ round «V» 1 0.3 }}`, `{{ round -1.5 0 }}`),
	"join":                       many(`{{ join "," «L» }}`, `{{ join «S» «V» }}`, `{{ list .user .host | join "@" }}`, `{{ join "-" nil }}`),
	"sortAlpha":                  many(`{{ sortAlpha «L» }}`, `{{ sortAlpha «V» }}`, `{{ keys . | sortAlpha | join "," }}`),
	"default":                    many(`{{ .missing | default «S» }}`, `{{ default «S» «V» }}`, `{{ default "x" «L» }}`, `{{ default 5 «N» }}`, `{{ default "d" "" }}`),
	"empty":                      many(`{{ empty «V» }}`, `{{ empty «L» }}`, `{{ empty «D» }}`, `{{ empty «N» }}`, `{{ empty «F» }}`),
	"coalesce":                   many(`{{ coalesce .missing «V» «S» }}`, `{{ coalesce «L» «N» }}`, `{{ coalesce }}`),
	"all":                        many(`{{ all «V» «N» «S» }}`, `{{ all }}`, `{{ all .user .password }}`),
	"any":                        many(`{{ any «V» «N» «S» }}`, `{{ any }}`, `{{ any "" 0 .missing }}`),
	"compact":                    many(`{{ compact «L» }}`, `{{ compact «V» }}`, `{{ splitList "," .list | compact | join "," }}`),
	"mustCompact":                many(`{{ mustCompact «L» }}`, `{{ mustCompact «V» }}`),
	"fromJson":                   many(`{{ fromJson .json }}`, `{{ (fromJson .json).c }}`, `{{ fromJson «S» }}`, `{{ fromJson "[1,2" }}`, `{{ (fromJson .json).f | typeOf }}`),
	"toJson":                     many(`{{ toJson «V» }}`, `{{ toJson «L» }}`, `{{ toJson «D» }}`, `{{ toJson .raw }}`, `{{ toJson . }}`, `{{ toJson «F» }}`, `{{ toJson "<&>" }}`),
	"toPrettyJson":               many(`{{ toPrettyJson «D» }}`, `{{ toPrettyJson «L» }}`, `{{ toPrettyJson (dict) }}`, `{{ toPrettyJson «V» }}`),
	"toRawJson":                  many(`{{ toRawJson «D» }}`, `{{ toRawJson "<&>" }}`, `{{ toRawJson .raw }}`),
	"mustFromJson":               many(`{{ mustFromJson .json }}`, `{{ mustFromJson «S» }}`, `{{ mustFromJson "{\"a\":" }}`),
	"mustToJson":                 many(`{{ mustToJson «D» }}`, `{{ mustToJson «V» }}`),
	"mustToPrettyJson":           many(`{{ mustToPrettyJson «D» }}`, `{{ mustToPrettyJson «L» }}`),
	"mustToRawJson":              many(`{{ mustToRawJson «D» }}`, `{{ mustToRawJson «V» }}`),
	"ternary":                    many(`{{ ternary «S» «S» «V» }}`, `{{ ternary "on" "off" (eq .num "42") }}`, `{{ ternary 1 2 true }}`, `{{ true | ternary "yes" "no" }}`),
	"deepCopy":                   many(`{{ deepCopy «D» }}`, `{{ deepCopy «L» | toJson }}`, `{{ deepCopy nil }}`),
	"mustDeepCopy":               many(`{{ mustDeepCopy «D» }}`, `{{ mustDeepCopy nil }}`),
	"typeOf":                     many(`{{ typeOf «V» }}`, `{{ typeOf «L» }}`, `{{ typeOf «D» }}`, `{{ typeOf «F» }}`, `{{ typeOf . }}`, `{{ typeOf (semver "1.2.3") }}`, `{{ typeOf (urlParse "http://x") }}`),
	"typeIs":                     many(`{{ typeIs "string" «V» }}`, `{{ typeIs "int" «N» }}`, `{{ typeIs "[]interface {}" «L» }}`),
	"typeIsLike":                 many(`{{ typeIsLike "string" «V» }}`, `{{ typeIsLike "int" «N» }}`, `{{ typeIsLike "*semver.Version" (semver "1.0.0") }}`),
	"kindOf":                     many(`{{ kindOf «V» }}`, `{{ kindOf «L» }}`, `{{ kindOf «D» }}`, `{{ kindOf (semver "1.0.0") }}`),
	"kindIs":                     many(`{{ kindIs "string" «V» }}`, `{{ kindIs "slice" «L» }}`, `{{ kindIs "map" «D» }}`),
	"deepEqual":                  many(`{{ deepEqual «L» «L» }}`, `{{ deepEqual «D» «D» }}`, `{{ deepEqual «V» «V» }}`),
	"base":                       many(`{{ base «S» }}`, `{{ base "/etc/ssl/certs/" }}`),
	"dir":                        many(`{{ dir «S» }}`, `{{ dir "/etc/ssl/certs/ca.pem" }}`),
	"clean":                      many(`{{ clean «S» }}`, `{{ clean "//a/./b/../c/" }}`),
	"ext":                        many(`{{ ext «S» }}`, `{{ ext "archive.tar.gz" }}`),
	"isAbs":                      many(`{{ isAbs «S» }}`, `{{ isAbs "/x" }}`),
	"osBase":                     many(`{{ osBase «S» }}`),
	"osClean":                    many(`{{ osClean «S» }}`),
	"osDir":                      many(`{{ osDir «S» }}`),
	"osExt":                      many(`{{ osExt «S» }}`),
	"osIsAbs":                    many(`{{ osIsAbs «S» }}`),
	"b64enc":                     many(`{{ b64enc «V» }}`, `{{ .password | b64enc }}`, `{{ printf "%s:%s" .user .password | b64enc }}`, `{{ b64enc .raw }}`),
	"b64dec":                     many(`{{ b64dec «S» }}`, `{{ "/w==" | b64dec }}`, `{{ "aGVsbG8=" | b64dec }}`, `{{ b64dec "not base64!" }}`, `{{ .raw | b64enc | b64dec | b64enc }}`),
	"b32enc":                     many(`{{ b32enc «V» }}`, `{{ b32enc .raw }}`),
	"b32dec":                     many(`{{ b32dec «S» }}`, `{{ b32dec "NBSWY3DP" }}`, `{{ b32dec "74======" }}`),
	"tuple":                      many(`{{ tuple «V» «N» }}`, `{{ tuple | len }}`),
	"list":                       many(`{{ list «V» «N» «S» }}`, `{{ list | toJson }}`, `{{ list «L» «D» }}`),
	"dict":                       many(`{{ dict «K» «V» «K» «N» }}`, `{{ dict "a" }}`, `{{ dict 1 2 3 4 | toJson }}`, `{{ $d := dict "user" .user "host" .host }}{{ $d.user }}@{{ $d.host }}`),
	"get":                        many(`{{ get «D» «K» }}`, `{{ get (dict "a" 1) "b" | typeOf }}`),
	"set":                        many(`{{ $d := «D» }}{{ $_ := set $d «K» «V» }}{{ toJson $d }}`, `{{ set (dict) "k" "v" }}`),
	"unset":                      many(`{{ $d := «D» }}{{ $_ := unset $d «K» }}{{ toJson $d }}`),
	"hasKey":                     many(`{{ hasKey «D» «K» }}`, `{{ hasKey (dict "a" nil) "a" }}`),
	"pluck":                      many(`{{ pluck «K» «D» «D» }}`, `{{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) | toJson }}`),
	"keys":                       many(`{{ keys «D» | sortAlpha }}`, `{{ keys (dict "b" 1 "a" 2) «D» | sortAlpha | join "," }}`, `{{ keys . | sortAlpha }}`),
	"pick":                       many(`{{ pick «D» «K» «K» | toJson }}`, `{{ pick (dict "a" 1 "b" 2) "a" }}`),
	"omit":                       many(`{{ omit «D» «K» | toJson }}`, `{{ omit (dict "a" 1 "b" 2) "a" "c" }}`),
	"merge":                      many(`{{ merge «D» «D» | toJson }}`, `{{ $a := dict "a" 1 "n" (dict "x" 1) }}{{ $_ := merge $a (dict "a" 2 "b" 3 "n" (dict "y" 2)) }}{{ toJson $a }}`, `{{ merge (dict "a" "") (dict "a" "z") | toJson }}`, `{{ merge (dict) «L» }}`, `{{ merge «D» }}`),
	"mergeOverwrite":             many(`{{ mergeOverwrite «D» «D» | toJson }}`, `{{ $a := dict "a" 1 "n" (dict "x" 1) }}{{ $_ := mergeOverwrite $a (dict "a" 2 "b" 3 "n" (dict "y" 2)) }}{{ toJson $a }}`, `{{ mergeOverwrite (dict "a" "x") (dict "a" "") | toJson }}`, `{{ mergeOverwrite (dict "l" (list 1 2)) (dict "l" (list 3)) | toJson }}`),
	"mustMerge":                  many(`{{ mustMerge «D» «D» | toJson }}`, `{{ mustMerge (dict) (dict "a" (dict "b" 1)) }}`),
	"mustMergeOverwrite":         many(`{{ mustMergeOverwrite «D» «D» | toJson }}`, `{{ mustMergeOverwrite (dict "a" 1) (dict "a" nil) | toJson }}`),
	"values":                     many(`{{ values «D» | sortAlpha }}`, `{{ values (dict "a" "x") | toJson }}`, `{{ values (dict "a" 1 "b" "y") | len }}`),
	"append":                     many(`{{ append «L» «V» }}`, `{{ append «V» 1 }}`, `{{ append nil 1 }}`),
	"push":                       many(`{{ push «L» «V» }}`, `{{ push «V» 1 }}`),
	"mustPush":                   many(`{{ mustPush «L» «N» | toJson }}`, `{{ mustPush nil 1 }}`),
	"mustAppend":                 many(`{{ mustAppend «L» «N» }}`, `{{ mustAppend «V» 1 }}`),
	"prepend":                    many(`{{ prepend «L» «V» }}`, `{{ prepend .user 1 }}`),
	"mustPrepend":                many(`{{ mustPrepend «L» «N» }}`),
	"first":                      many(`{{ first «L» }}`, `{{ first «V» }}`, `{{ first (list) | typeOf }}`),
	"mustFirst":                  many(`{{ mustFirst «L» }}`, `{{ mustFirst «V» }}`),
	"rest":                       many(`{{ rest «L» }}`, `{{ rest «L» | toJson }}`),
	"mustRest":                   many(`{{ mustRest «L» }}`),
	"last":                       many(`{{ last «L» }}`, `{{ last «V» }}`),
	"mustLast":                   many(`{{ mustLast «L» }}`),
	"initial":                    many(`{{ initial «L» }}`, `{{ initial «L» | toJson }}`),
	"mustInitial":                many(`{{ mustInitial «L» }}`),
	"reverse":                    many(`{{ reverse «L» }}`, `{{ reverse «V» }}`),
	"mustReverse":                many(`{{ mustReverse «L» }}`),
	"uniq":                       many(`{{ uniq «L» }}`, `{{ uniq (list 1 1 "1" 2.0 2) | toJson }}`),
	"mustUniq":                   many(`{{ mustUniq «L» }}`),
	"without":                    many(`{{ without «L» «V» «N» }}`, `{{ without (list 1 2 3 2) 2 }}`),
	"mustWithout":                many(`{{ mustWithout «L» 1 }}`),
	"has":                        many(`{{ has «V» «L» }}`, `{{ has 2 (list 1 2) }}`, `{{ list .user .host | has "admin" }}`),
	"mustHas":                    many(`{{ mustHas «N» «L» }}`, `{{ mustHas 1 «V» }}`),
	"slice":                      many(`{{ slice «L» «I» }}`, `{{ slice «L» 1 2 }}`, `{{ slice «V» «I» «I» }}`, `{{ slice .user 1 3 }}`, `{{ slice «L» }}`),
	"mustSlice":                  many(`{{ mustSlice «L» «I» }}`, `{{ mustSlice «V» 1 }}`),
	"concat":                     many(`{{ concat «L» «L» }}`, `{{ concat «L» «V» }}`, `{{ concat }}`),
	"dig":                        many(`{{ dig "x" "y" "z" «S» «D» }}`, `{{ dig «K» "def" «D» }}`, `{{ dig "c" "d" "none" (fromJson .json) }}`, `{{ dig "a" "b" "d" (dict "a" 1) }}`),
	"chunk":                      many(`{{ chunk «I» «L» }}`, `{{ chunk 2 (list 1 2 3 4 5) | toJson }}`),
	"mustChunk":                  many(`{{ mustChunk «I» «L» }}`),
	"bcrypt":                     {sh(`{{ bcrypt .password }}`, `bcrypt:s3cr3t p@ss/w:rd?&=%+#`), sh(`{{ bcrypt "hunter2" }}`, `bcrypt:hunter2`), sh(`{{ bcrypt "" | len }}`, `re:60`)},
	"htpasswd":                   {sh(`{{ htpasswd .user .password }}`, `htpasswd:admin:s3cr3t p@ss/w:rd?&=%+#`), sh(`{{ htpasswd "bob" "pw" }}`, `htpasswd:bob:pw`), s(`{{ htpasswd "a:b" "pw" }}`)},
	"genPrivateKey":              {sh(`{{ genPrivateKey "ecdsa" }}`, `key:ecdsa-p256`), sh(`{{ genPrivateKey "ed25519" }}`, `key:ed25519`), s(`{{ genPrivateKey "foo" }}`), sh(`{{ genPrivateKey "dsa" }}`, `key:dsa-2048`), sh(`{{ genPrivateKey "rsa" }}`, `key:rsa-4096`), s(`{{ genPrivateKey "" | typeOf }}`)},
	"derivePassword":             many(`{{ derivePassword 1 "long" "password" "user" "example.com" }}`, `{{ derivePassword «I» "maximum" .password .user .host }}`, `{{ derivePassword 2 "pin" "pw" "u" "site" }}`, `{{ derivePassword 1 «S» "pw" "u" "site" }}`, `{{ derivePassword 3 "basic" "pw" "ümläut" "site" }}`, `{{ derivePassword 1 "short" "" "" "" }}`, `{{ derivePassword 1 "medium" "pw" "u" "site" }}`, `{{ derivePassword 1 "name" "pw" "u" "site" }}`, `{{ derivePassword 1 "phrase" "pw" "u" "site" }}`),
	"buildCustomCert":            {s(`{{ $c := buildCustomCert "bm90IGEgY2VydA==" "bm90IGEga2V5" }}{{ $c.Cert }}`), s(`{{ buildCustomCert "!" "!" }}`)},
	"genCA":                      {sh(`{{ $ca := genCA "my-ca" 365 }}{{ $ca.Cert }}{{ $ca.Key }}`, `x509:cn=my-ca;ips=;dns=;days=365;ca=true;key=rsa-2048;signer=self`), s(`{{ genCA "x" 1 | typeOf }}`), s(`{{ (genCA "x" 1).Nope }}`), s(`{{ (genCA "x" 1).Cert.Nope }}`)},
	"genCAWithKey":               {sh(`{{ $ca := genCAWithKey "my-ca" 30 (genPrivateKey "ecdsa") }}{{ $ca.Key }}{{ $ca.Cert }}`, `x509:cn=my-ca;ips=;dns=;days=30;ca=true;key=ecdsa-p256;signer=self`), sh(`{{ $ca := genCAWithKey "Ed CA" 7 (genPrivateKey "ed25519") }}{{ $ca.Cert }}{{ $ca.Key }}`, `x509:cn=Ed CA;ips=;dns=;days=7;ca=true;key=ed25519;signer=self`), s(`{{ genCAWithKey "ca" 30 "not a key" }}`), s(`{{ genCAWithKey "ca" 30 "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }}`)},
	"genSelfSignedCert":          {sh(`{{ $c := genSelfSignedCert "svc.local" (list "10.0.0.1") (list "svc" "svc.ns") 30 }}{{ $c.Cert }}{{ $c.Key }}`, `x509:cn=svc.local;ips=10.0.0.1;dns=svc,svc.ns;days=30;ca=false;key=rsa-2048;signer=self`), s(`{{ genSelfSignedCert "x" (list "not-an-ip") nil 1 }}`), s(`{{ genSelfSignedCert "x" nil (list 1) 1 }}`), s(`{{ genSelfSignedCert "x" "10.0.0.1" nil 1 }}`)},
	"genSelfSignedCertWithKey":   {sh(`{{ $c := genSelfSignedCertWithKey "svc" nil nil 30 (genPrivateKey "ed25519") }}{{ $c.Cert }}{{ $c.Key }}`, `x509:cn=svc;ips=;dns=;days=30;ca=false;key=ed25519;signer=self`), sh(`{{ $c := genSelfSignedCertWithKey "db" (list "::1" "192.168.1.10") (list "db.local") 2 (genPrivateKey "ecdsa") }}{{ $c.Cert }}{{ $c.Key }}`, `x509:cn=db;ips=::1,192.168.1.10;dns=db.local;days=2;ca=false;key=ecdsa-p256;signer=self`)},
	"genSignedCert":              {sh(`{{ $ca := genCAWithKey "ca" 30 (genPrivateKey "ecdsa") }}{{ $c := genSignedCert "svc" (list "10.0.0.2") (list "svc.local") 30 $ca }}{{ $ca.Cert }}{{ $c.Cert }}{{ $c.Key }}`, `x509:cn=svc;ips=10.0.0.2;dns=svc.local;days=30;ca=false;key=rsa-2048;signer=0`), s(`{{ genSignedCert "svc" nil nil 30 (dict "Cert" "x") }}`)},
	"genSignedCertWithKey":       {sh(`{{ $ca := genCAWithKey "ca" 30 (genPrivateKey "ecdsa") }}{{ $c := genSignedCertWithKey "svc" nil nil 30 $ca (genPrivateKey "ecdsa") }}{{ $ca.Cert }}{{ $c.Cert }}{{ $c.Key }}`, `x509:cn=svc;ips=;dns=;days=30;ca=false;key=ecdsa-p256;signer=0`), sh(`{{ $ca := genCA "root" 10 }}{{ $c := genSignedCertWithKey "leaf" (list "10.1.2.3") (list "a.example" "b.example") 5 $ca (genPrivateKey "ed25519") }}{{ $ca.Cert }}{{ $c.Cert }}{{ $c.Key }}`, `x509:cn=leaf;ips=10.1.2.3;dns=a.example,b.example;days=5;ca=false;key=ed25519;signer=0`)},
	"encryptAES":                 {sh(`{{ encryptAES "secretkey" .password }}`, `re:[A-Za-z0-9+/]+={0,2}`), s(`{{ encryptAES "k" .password | decryptAES "k" }}`), s(`{{ encryptAES "k" "" | decryptAES "k" }}`)},
	"decryptAES":                 many(`{{ decryptAES "secretkey" "not base64" }}`, `{{ decryptAES "k" "YWJj" }}`, `{{ decryptAES "k" "" }}`),
	"randBytes":                  {sh(`{{ randBytes 24 }}`, `re:[A-Za-z0-9+/]{32}`), sh(`{{ randBytes 24 | b64dec | len }}`, `re:24`), sh(`{{ randBytes 0 }}`, `re:`)},
	"uuidv4":                     {sh(`{{ uuidv4 }}`, `re:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`), sh(`{{ uuidv4 | len }}`, `re:36`)},
	"semver":                     many(`{{ semver «W» }}`, `{{ (semver .version).Major }}`, `{{ (semver «W»).Minor }}`, `{{ $v := semver "v2.0.0-rc.1+build.5" }}{{ $v.Prerelease }}|{{ $v.Metadata }}|{{ $v.Original }}|{{ $v.Patch }}`, `{{ (semver «W»).String }}`, `{{ semver «W» | toJson }}`, `{{ ((semver .version).IncMinor).String }}`, `{{ (semver "1.2.3").Compare (semver «W») }}`, `{{ (semver «W»).GreaterThan (semver "1.2.0") }}`, `{{ $v := semver «W» }}{{ $v.Major }}.{{ $v.Minor }}.{{ $v.Patch }} {{ $v.IncPatch }} {{ $v.IncMajor }} {{ $v.Original }}`, `{{ $v := semver "v1.2.3-beta.1" }}{{ $v.IncPatch.String }} {{ $v.IncMinor | typeOf }} {{ ($v.SetPrerelease "rc.2").String }} {{ $v.SetMetadata "b.7" }}`, `{{ (semver "1.2.3").SetPrerelease "01" }}`, `{{ (semver «W»).LessThan (semver "1.10.0") }} {{ (semver «W»).LessThanEqual (semver "1.2.3") }} {{ (semver «W»).GreaterThanEqual (semver "1.2.3") }} {{ (semver «W»).Equal (semver "v1.2.3+meta") }}`, `{{ printf "%v|%s|%T|%d" (semver «W») (semver "1.0") (semver "1") (semver "2").Major }}`, `{{ (semver "1.2.3").IncMinor.Original }}`, `{{ (semver "1.2.3").Compare nil }}`, `{{ (semver "1.2.3").Major 1 }}`, `{{ (semver "1.2.3").Compare }}`, `{{ eq (semver "1.2.3").Major 1 }} {{ lt (semver "1.2.3").Minor 3 }} {{ (semver "1.2.3").Patch | add 1 }}`, `{{ list (semver "1.2.3") (semver "v2") | toJson }} {{ semver "1.2.3" | toString }} {{ dict "v" (semver "1.2") }}`),
	"semverCompare":              many(`{{ semverCompare «C» «W» }}`, `{{ if semverCompare ">=1.2.0" .version }}new{{ else }}old{{ end }}`, `{{ semverCompare «C» .version }}`, `{{ semverCompare "^1.x" "1.9.9" }}`, `{{ semverCompare "~1.4.0" .version }}`, `{{ semverCompare ">1.0.0-beta" "1.0.0-alpha" }}`),
	"fail":                       many(`{{ fail "required: set a password" }}`, `before{{ if not .missing }}{{ fail "missing is not set" }}{{ end }}`, `{{ fail «S» }}`),
	"regexMatch":                 many(`{{ regexMatch «R» «V» }}`, `{{ regexMatch "^[a-z]+$" .user }}`, `{{ regexMatch "[unclosed" "x" }}`),
	"mustRegexMatch":             many(`{{ mustRegexMatch «R» «S» }}`, `{{ mustRegexMatch "(" "x" }}`),
	"regexFindAll":               many(`{{ regexFindAll «R» «S» -1 }}`, `{{ regexFindAll "[0-9]" "a1b22c333" «N» }}`),
	"mustRegexFindAll":           many(`{{ mustRegexFindAll «R» «V» 2 }}`),
	"regexFind":                  many(`{{ regexFind «R» «S» }}`, `{{ regexFind "[a-z]+" .host }}`),
	"mustRegexFind":              many(`{{ mustRegexFind «R» «V» }}`, `{{ mustRegexFind "a{1001}" "a" }}`),
	"regexReplaceAll":            many(`{{ regexReplaceAll «R» «S» "<$0>" }}`, `{{ regexReplaceAll "(\\w+)@(\\w+)" "user@host" "${2}_$1" }}`, `{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}`),
	"mustRegexReplaceAll":        many(`{{ mustRegexReplaceAll «R» «V» "X" }}`),
	"regexReplaceAllLiteral":     many(`{{ regexReplaceAllLiteral «R» «S» "$1" }}`),
	"mustRegexReplaceAllLiteral": many(`{{ mustRegexReplaceAllLiteral «R» «V» "${x}" }}`),
	"regexSplit":                 many(`{{ regexSplit «R» «S» -1 }}`, `{{ regexSplit "[,;]" "a,b;c" «N» | toJson }}`),
	"mustRegexSplit":             many(`{{ mustRegexSplit «R» «V» 2 }}`),
	"regexQuoteMeta":             many(`{{ regexQuoteMeta «S» }}`, `{{ regexQuoteMeta .password }}`),
	"urlParse":                   many(`{{ urlParse .url | toJson }}`, `{{ (urlParse .url).hostname }}`, `{{ urlParse «S» }}`, `{{ (urlParse "postgres://u:p@h:5/db?sslmode=disable").query }}`, `{{ urlParse "http://[::1]:namedport" }}`, `{{ urlParse "mailto:a@b.c" | toJson }}`, `{{ (urlParse "//host/p%2Fq").path }}`, `{{ urlParse ":bad" }}`),
	"urlJoin":                    many(`{{ urlJoin (dict "scheme" "https" "host" .host "path" "/a b" "query" "x=1") }}`, `{{ urlJoin (urlParse .url) }}`, `{{ urlJoin «D» }}`, `{{ urlJoin (dict "scheme" "http" "host" "h" "userinfo" "u:p@ss" "fragment" "f g") }}`, `{{ urlJoin (dict "opaque" "x:y" "scheme" "mailto") }}`, `{{ urlJoin (dict "path" "rel:path") }}`),
}

// Families of templates as users write them; «X» placeholders as above.
var composites = []snip{
	s(`postgres://{{ .user }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ index . "db-name" | default "app" }}?sslmode=require`),
	s(`mysql://{{ .user }}:{{ .password }}@tcp({{ .host }}:{{ .port | default "3306" }})/app?parseTime=true`),
	s(`redis://:{{ .password | urlquery }}@{{ .host }}:6379/0`),
	s(`mongodb+srv://{{ urlquery .user }}:{{ urlquery .password }}@{{ .host }}/?retryWrites=true&w=majority`),
	s(`amqp://{{ .user }}:{{ .password | b64enc }}@{{ .host | default "rabbitmq" }}:5672/%2F`),
	s(`{{- /* dotenv */ -}}
DB_USER={{ .user | quote }}
DB_PASSWORD={{ .password | squote }}
DB_HOST={{ .host }}
DB_PORT={{ .port | default "5432" }}
`),
	s(`{"auths":{"{{ .host }}":{"username":"{{ .user }}","password":"{{ .password }}","auth":"{{ printf "%s:%s" .user .password | b64enc }}"}}}`),
	s(`{{ dict "user" .user "password" .password "host" .host "port" (.port | atoi) | toJson }}`),
	s(`{{ dict "db" (dict "user" .user "password" .password) "tags" (list "a" "b") | toPrettyJson }}`),
	s(`database:
  host: {{ .host }}
  password: {{ .password | quote }}
  options:{{ list "ssl" "pool=5" | toJson | nindent 4 }}
{{- with .missing }}
  missing: {{ . }}
{{- end }}
`),
	s(`[client]
user = {{ .user }}
password = "{{ .password | replace "\"" "\\\"" }}"
{{ range $i, $e := splitList "," .list }}{{ if $e }}opt{{ $i }} = {{ $e | upper }}
{{ end }}{{ end }}`),
	s(`{{ range $k, $v := . }}{{ $k }}={{ $v | b64enc }};{{ end }}`),
	s(`{{ range $k, $v := . }}{{ if hasPrefix "d" $k }}{{ $k }}: {{ $v | quote }}
{{ end }}{{ end }}`),
	s(`{{ $j := fromJson .json }}{{ $j.a }} {{ index $j.b 2 }} {{ dig "c" "d" "none" $j }} {{ $j.e | upper }}`),
	s(`{{ if semverCompare ">=1.2.0" .version }}feature: on{{ else }}feature: off{{ end }}`),
	s(`{{ ternary "production" "staging" (eq .host "db.example.com") }}-{{ .port | int | add 1 }}`),
	s(`{{ .missing | default .user | upper }}:{{ coalesce .nothing .password }}`),
	s(`{{ $parts := regexSplit "[.]" .host -1 }}{{ index $parts 0 }}.{{ last $parts }} ({{ len $parts }})`),
	s(`{{ regexReplaceAll "[^a-zA-Z0-9]" .password "_" }}`),
	sh(`{{ htpasswd .user .password }}`, `htpasswd:admin:s3cr3t p@ss/w:rd?&=%+#`),
	s(`{{ .text | indent 2 }}{{ .text | trim | nindent 4 }}`),
	s(`{{ printf "%s/%s" .host (index . "db-name") | sha256sum | trunc 12 }}`),
	s(`{{ $u := urlParse .url }}{{ $u.scheme }}://{{ $u.hostname }}{{ $u.path }}?{{ $u.query }}`),
	s(`{{ toDate "2006-01-02T15:04:05Z07:00" .date | date "2006-01-02 15:04" }} expires {{ toDate "2006-01-02T15:04:05Z07:00" .date | dateModify "720h" | date "Jan 2" }}`),
	s(`{{ $l := list }}{{ range splitList "," .list }}{{ $l = append $l (. | default "empty") }}{{ end }}{{ $l | toJson }}`),
	s(`{{ $d := dict }}{{ range $i, $e := until 4 }}{{ $_ := set $d (printf "k%d" $i) (mul $e $e) }}{{ end }}{{ toJson $d }}`),
	s(`{{ template "x" . }}{{ define "x" }}[{{ .user }}]{{ end }}`),
	s(`{{ block "blk" .host }}<{{ . }}>{{ end }}`),
	s(`{{ with $x := .user }}{{ $x }}{{ else }}none{{ end }}`),
	s(`{{ range $i := until 3 }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $i }}{{ end }}`),
	s(`{{ range 3 }}{{ . }}{{ end }}`),
	s(`{{ .user | required "user is required" }}`),
	s(`{{ toYaml . }}`),
	s(`{{ include "x" . }}`),
	s(`{{ .password | b64enc | b64dec }}`),
	s(`{{ .raw }}|{{ .raw | len }}|{{ .raw | upper }}|{{ .raw | trunc 2 | b64enc }}`),
	s(`{{ .name | trunc 2 | b64enc }} {{ .name | abbrev 4 | b64enc }} {{ initials .name | b64enc }} {{ substr 1 2 .name | b64enc }}`),
	s(`{{ "\xc3" }}{{ "\xa9" }} {{ "\xff" | b64enc }} {{ "\u00e9" | len }}`),
	s(`{{ .user }`),
	s(`{{ if .user }}unterminated`),
	s(`{{ .user.bad }}`),
	s(`{{ .nope.deeper }}`),
	s(`{{ $x := 1 }}{{ $y }}`),
	s(`{{ index . 1 }}`),
	s(`{{ len nil }}`),
	s(`{{ «V» | «F1» }}`),
	s(`{{ «F1» «V» }}`),
	s(`{{ «F1» «S» | «F1» }}`),
	s(`{{ «S» | «F1» | quote }}`),
	s(`{{ «F2» «S» «V» }}`),
	s(`{{ «F2» «N» «V» }}`),
	s(`{{ «V» | «F1» | «F1» }}`),
	s(`{{ «F3» «L» }}`),
	s(`{{ «F3» «L» | toJson }}`),
	s(`{{ «F4» «F» «F» }}`),
	s(`{{ «F4» «N» «V» }}`),
	s(`{{ «F5» «D» «D» | toJson }}`),
	s(`{{ with «D» }}{{ .a }}{{ end }}`),
	s(`{{ range $k, $v := «D» }}{{ $k }}={{ $v }},{{ end }}`),
	s(`{{ range «L» }}[{{ . }}]{{ else }}empty{{ end }}`),
}

// Single-argument string functions, two-argument string functions, list, numeric and dict
// functions for the composite placeholders.
var composeFuncs = map[string][]string{
	"F1": {"upper", "lower", "title", "untitle", "trim", "quote", "squote", "b64enc", "b32enc", "sha1sum",
		"sha256sum", "adler32sum", "snakecase", "camelcase", "kebabcase", "swapcase", "initials", "nospace",
		"urlquery", "html", "js", "toJson", "toString", "len", "typeOf", "kindOf", "empty", "toStrings",
		"b64dec", "b32dec", "regexQuoteMeta", "base", "dir", "ext", "clean", "isAbs", "atoi", "int", "int64",
		"float64", "toDecimal", "fromJson", "semver", "urlParse", "duration", "durationRound", "htmlDate",
		"unixEpoch", "toRawJson", "toPrettyJson", "sortAlpha", "first", "last", "compact", "uniq", "reverse",
		"ceil", "floor", "add1", "add1f", "toDate"},
	"F2": {"contains", "hasPrefix", "hasSuffix", "trimAll", "trimPrefix", "trimSuffix", "abbrev", "trunc",
		"repeat", "indent", "nindent", "wrap", "split", "splitList", "default", "ternary", "regexMatch",
		"regexFind", "semverCompare", "typeIs", "kindIs", "date", "toDate", "mustToDate", "dateModify", "wrapWith",
		"plural", "cat", "list", "splitn", "coalesce", "without", "has", "append", "prepend", "join"},
	"F3": {"first", "rest", "last", "initial", "reverse", "uniq", "compact", "sortAlpha", "toStrings", "len",
		"mustFirst", "mustRest", "mustLast", "mustInitial", "mustReverse", "mustUniq", "mustCompact", "deepCopy",
		"empty", "toJson", "chunk", "slice", "concat", "has", "without"},
	"F4": {"add", "sub", "mul", "div", "mod", "max", "min", "maxf", "minf", "addf", "subf", "mulf", "divf",
		"biggest", "round", "untilStep", "seq", "eq", "lt", "ge", "until"},
	"F5": {"merge", "mergeOverwrite", "mustMerge", "mustMergeOverwrite", "concat", "deepEqual", "pick", "omit",
		"pluck", "dict", "list", "hasKey", "keys", "values"},
}

// Template keys, as users name them.
var keyNames = []string{"DATABASE_URL", "config.yaml", "settings.json", ".dockerconfigjson", "connection",
	"value", "out", "auth", "dsn", "app.env"}

type generator struct {
	r *rand.Rand
}

func newGenerator(seed uint64) *generator {
	return &generator{r: rand.New(rand.NewPCG(seed, seed^0x5ea1ed5ec2e75))}
}

func (g *generator) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

var placeholder = regexp.MustCompile(`«([A-Z][0-9]?)»`)

// Composable functions that format the current time when given something that is not a
// time (every composite placeholder argument is one).
var clockFuncs = map[string]bool{"date": true, "htmlDate": true}

// fill replaces the placeholders of src; clock says whether it picked a clock function.
func (g *generator) fill(src string) (out string, clock bool) {
	out = placeholder.ReplaceAllStringFunc(src, func(m string) string {
		k := m[len("«") : len(m)-len("»")]
		if fs, ok := composeFuncs[k]; ok {
			f := g.pick(fs)
			clock = clock || clockFuncs[f]
			return f
		}
		return g.pick(pools[k])
	})
	return out, clock
}

// context picks the sealed set and the plain keys of one case.
func (g *generator) context() (string, map[string]*string) {
	sets := []string{"A", "A", "A", "A", "A", "A", "P", "none"}
	set := g.pick(sets)
	tmpl := map[string]*string{}
	str := func(v string) *string { return &v }
	// host and port are nearly always there, as in the example.
	if g.r.IntN(10) != 0 {
		tmpl["host"] = str(plainKeys["host"])
		tmpl["port"] = str(plainKeys["port"])
	}
	for _, k := range sortedKeys(plainKeys) {
		if k != "host" && k != "port" && g.r.IntN(3) == 0 {
			tmpl[k] = str(plainKeys[k])
		}
	}
	// Collisions with sealed items, and null keys (upstream v0.40 removes those).
	switch g.r.IntN(12) {
	case 0:
		tmpl["password"] = str("plain-shadow")
	case 1:
		tmpl["user"] = nil
	case 2:
		tmpl["ghost"] = nil
	case 3:
		tmpl["password"] = str("{{ .user }}-{{ .host }}")
	case 4:
		tmpl["user"] = str("{{ fail \"collision still executes\" }}")
	}
	return set, tmpl
}

func (g *generator) newCase(family string, sn snip) Case {
	set, tmpl := g.context()
	key := g.pick(keyNames)
	src, clock := g.fill(sn.src)
	tmpl[key] = &src
	c := Case{Family: family, Sealed: set, Template: tmpl}
	if clock || sn.clock {
		c.clockKey = key
	}
	if sn.shape != "" {
		shape := sn.shape
		// A shape names a sealed value; the case must have it.
		c.Sealed = "A"
		delete(tmpl, "password")
		delete(tmpl, "user")
		c.Shape = map[string]string{key: shape}
	}
	return c
}

// Expensive functions (key generation) are rendered a few times only.
var perFunction = map[string]int{
	"genPrivateKey": 6, "genCA": 4, "genCAWithKey": 4, "genSelfSignedCert": 4, "genSelfSignedCertWithKey": 2,
	"genSignedCert": 2, "genSignedCertWithKey": 2, "buildCustomCert": 3, "bcrypt": 3, "htpasswd": 3,
}

func (g *generator) corpus(n int) []Case {
	var cases []Case
	for _, fn := range sortedKeys(funcSnippets) {
		snips := funcSnippets[fn]
		count := 8
		if c, ok := perFunction[fn]; ok {
			count = c
		}
		if count < len(snips) && perFunction[fn] == 0 {
			count = len(snips)
		}
		for i := 0; i < count; i++ {
			cases = append(cases, g.newCase(fn, snips[i%len(snips)]))
		}
	}
	for len(cases) < n {
		cases = append(cases, g.newCase("composite", composites[g.r.IntN(len(composites))]))
	}
	return cases
}

// The functions a case calls, by a look at the identifiers inside its actions.
var actionRe = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
var identRe = regexp.MustCompile(`(^|[^.$A-Za-z0-9_"])([A-Za-z_][A-Za-z0-9_]*)`)

func (g *generator) coverage(cases []Case) map[string]int {
	known := map[string]bool{}
	for fn := range funcSnippets {
		known[fn] = true
	}
	counts := map[string]int{}
	for _, c := range cases {
		for _, src := range c.Template {
			if src == nil {
				continue
			}
			for _, action := range actionRe.FindAllString(*src, -1) {
				for _, m := range identRe.FindAllStringSubmatch(action, -1) {
					if known[m[2]] {
						counts[m[2]]++
					}
				}
			}
		}
	}
	return counts
}

// uncovered lists kept sprig functions the corpus never calls (and snippets for functions
// sprig does not have, which would be a typo here).
func (g *generator) uncovered(counts map[string]int) []string {
	var missing []string
	builtins := map[string]bool{"and": true, "or": true, "not": true, "len": true, "index": true, "print": true,
		"printf": true, "println": true, "html": true, "js": true, "urlquery": true, "eq": true, "ne": true,
		"lt": true, "le": true, "gt": true, "ge": true, "call": true}
	sprigMap := sprig.GenericFuncMap()
	for fn := range sprigMap {
		switch fn {
		case "env", "expandenv", "getHostByName":
			continue
		}
		if counts[fn] == 0 {
			missing = append(missing, fn)
		}
	}
	for fn := range funcSnippets {
		if _, ok := sprigMap[fn]; !ok && !builtins[fn] {
			missing = append(missing, "not a function: "+fn)
		}
	}
	for fn := range builtins {
		if counts[fn] == 0 {
			missing = append(missing, fn)
		}
	}
	sort.Strings(missing)
	return missing
}
