//! Evaluator: walks the parse tree like Go's `text/template` exec, with the same error
//! positions and texts.

use std::collections::BTreeMap;

use super::ast::{Arg, Cmd, Control, Node, Pipe};
use super::budget::{self, Budget};
use super::func::{Func, Special, Ty};
use super::gofmt;
use super::parse::Tree;
use super::value::{Bytes, Elem, Value};

/// Go stops at 100000 nested template calls on its growable stacks; ours is fixed, so
/// template calls and nested blocks together are capped at this depth.
const MAX_EXEC_DEPTH: usize = Budget::MAX_EXEC_DEPTH;

/// Values built by functions (`list`, `dict`, `set`, ...) may nest this deep. Deeper ones
/// would overflow the stack when printed or dropped.
const MAX_VALUE_DEPTH: usize = Budget::MAX_VALUE_DEPTH;

/// Where evaluation stands, for error contexts (`s.at(node)` in Go).
#[derive(Clone, Copy)]
enum At<'a> {
    None,
    Arg(&'a Arg),
    Cmd(&'a Cmd),
    Pipe(&'a Pipe),
    Template(usize, &'a str, Option<&'a Pipe>),
}

/// A function to call: a template function, or a method with its receiver.
struct Callee<'n> {
    f: Func,
    name: &'n str,
    recv: Option<Value>,
}

enum Flow {
    Err(String),
    Break,
    Continue,
}

type R<T> = Result<T, Flow>;

pub struct State<'a> {
    name: &'a str,
    src: &'a str,
    tree: &'a Tree,
    lookup: &'a dyn Fn(&str) -> Option<Func>,
    tmpl_name: String,
    node: At<'a>,
    vars: Vec<(String, Value)>,
    /// The dot is an element of an `[]interface {}` or `map[string]interface {}`: Go then
    /// names its type `interface {}` in field errors.
    dot_boxed: bool,
    depth: usize,
    pub out: Vec<u8>,
}

/// Runs the tree; on error returns the message (the partial output stays in `out`).
pub fn execute<'a>(
    name: &'a str,
    src: &'a str,
    tree: &'a Tree,
    dot: Value,
    lookup: &'a dyn Fn(&str) -> Option<Func>,
) -> (Vec<u8>, Option<String>) {
    let mut s = State {
        name,
        src,
        tree,
        lookup,
        tmpl_name: name.to_string(),
        node: At::None,
        vars: vec![("$".into(), dot.clone())],
        dot_boxed: false,
        depth: 0,
        out: Vec::new(),
    };
    let r = s.walk_list(&dot, &tree.root);
    let err = match r {
        Ok(()) => None,
        Err(Flow::Err(e)) => Some(e),
        Err(_) => None,
    };
    (s.out, err)
}

impl<'a> State<'a> {
    fn at(&mut self, n: At<'a>) {
        self.node = n;
    }

    fn errorf<T>(&self, msg: impl Into<String>) -> R<T> {
        let msg = msg.into();
        let (pos, ctx) = match self.node {
            At::None => return Err(Flow::Err(format!("template: {}: {msg}", self.tmpl_name))),
            At::Arg(a) => (a.pos(), a.to_string()),
            At::Cmd(c) => (c.pos, c.to_string()),
            At::Pipe(p) => (p.pos, p.to_string()),
            At::Template(pos, name, pipe) => {
                let ctx = match pipe {
                    Some(p) => format!("{{{{template {} {p}}}}}", gofmt::quote(name)),
                    None => format!("{{{{template {}}}}}", gofmt::quote(name)),
                };
                (pos, ctx)
            }
        };
        let pos = pos.min(self.src.len());
        let text = &self.src[..pos];
        let (line, col) = match text.rfind('\n') {
            None => (1, pos),
            Some(nl) => (1 + text.matches('\n').count(), pos - (nl + 1)),
        };
        Err(Flow::Err(format!(
            "template: {}:{}:{}: executing {} at <{}>: {}",
            self.name,
            line,
            col,
            gofmt::quote(&self.tmpl_name),
            ctx,
            msg
        )))
    }

    fn walk_list(&mut self, dot: &Value, list: &'a [Node]) -> R<()> {
        for n in list {
            self.walk(dot, n)?;
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Value, node: &'a Node) -> R<()> {
        if let Err(e) = budget::steps(1) {
            return self.errorf(e);
        }
        match node {
            Node::Text(t) => self.emit(t.as_bytes()),
            Node::Action { pipe } => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.at(At::Pipe(pipe));
                    self.print_value(&v)?;
                }
                Ok(())
            }
            Node::Break => Err(Flow::Break),
            Node::Continue => Err(Flow::Continue),
            Node::If(c) => self.walk_if_with(false, dot, c),
            Node::With(c) => self.walk_if_with(true, dot, c),
            Node::Range(c) => self.walk_range(dot, c),
            Node::Template { pos, name, pipe } => {
                self.walk_template(dot, *pos, name, pipe.as_ref())
            }
        }
    }

    fn print_value(&mut self, v: &Value) -> R<()> {
        match v {
            Value::Nil => self.emit(b"<no value>"),
            Value::Str(s) => self.emit(s),
            v => {
                let text = gofmt::v_bytes(v);
                if let Some(limit) = budget::exceeded() {
                    return self.errorf(limit.to_string());
                }
                self.emit(&text)
            }
        }
    }

    /// Appends output, charged to the budget before it is copied.
    fn emit(&mut self, b: &[u8]) -> R<()> {
        if let Err(e) = budget::bytes(b.len() as u64) {
            return self.errorf(e);
        }
        self.out.extend_from_slice(b);
        Ok(())
    }

    fn walk_if_with(&mut self, with: bool, dot: &Value, c: &'a Control) -> R<()> {
        self.depth += 1;
        let r = self.walk_if_with_inner(with, dot, c);
        self.depth -= 1;
        r
    }

    fn walk_if_with_inner(&mut self, with: bool, dot: &Value, c: &'a Control) -> R<()> {
        let mark = self.vars.len();
        let r = (|| {
            let val = self.eval_pipeline(dot, &c.pipe)?;
            if val.truth() {
                if with {
                    let saved = std::mem::replace(&mut self.dot_boxed, false);
                    let r = self.walk_list(&val, &c.list);
                    self.dot_boxed = saved;
                    r
                } else {
                    self.walk_list(dot, &c.list)
                }
            } else if let Some(e) = &c.else_list {
                self.walk_list(dot, e)
            } else {
                Ok(())
            }
        })();
        self.vars.truncate(mark);
        r
    }

    fn walk_range(&mut self, dot: &Value, c: &'a Control) -> R<()> {
        let mark0 = self.vars.len();
        self.depth += 1;
        let r = self.walk_range_inner(dot, c);
        self.depth -= 1;
        self.vars.truncate(mark0);
        r
    }

    fn walk_range_inner(&mut self, dot: &Value, c: &'a Control) -> R<()> {
        let val = self.eval_pipeline(dot, &c.pipe)?;
        let mark = self.vars.len();
        let boxed = matches!(
            val,
            Value::List(_, Elem::Any | Elem::AnyNil) | Value::Map(_)
        );
        let mut ran = false;
        match &val {
            Value::Int(n) | Value::Int64(n) => {
                if c.pipe.decl.len() > 1 {
                    return self.errorf(format!(
                        "can't use {} to iterate over more than one variable",
                        gofmt::v(&super::builtins::redact(&val))
                    ));
                }
                // Counted lazily: `range 1000000000` costs time, not memory.
                let int = matches!(val, Value::Int(_));
                for i in 0..(*n).max(0) {
                    ran = true;
                    let elem = if int { Value::Int(i) } else { Value::Int64(i) };
                    if !self.iteration(c, mark, false, Value::Nil, elem)? {
                        break;
                    }
                }
            }
            Value::List(l, _) => {
                for (i, v) in l.iter().enumerate() {
                    ran = true;
                    if !self.iteration(c, mark, boxed, Value::Int(i as i64), v.clone())? {
                        break;
                    }
                }
            }
            Value::Map(m) => {
                // A snapshot: the body may `set` into the map it ranges over.
                let entries: Vec<(String, Value)> = m
                    .borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                for (k, v) in entries {
                    ran = true;
                    if !self.iteration(c, mark, boxed, Value::str(k), v)? {
                        break;
                    }
                }
            }
            Value::StrMap(m) => {
                for (k, v) in m.iter() {
                    ran = true;
                    if !self.iteration(
                        c,
                        mark,
                        false,
                        Value::str(k.as_str()),
                        Value::Str(v.clone()),
                    )? {
                        break;
                    }
                }
            }
            Value::Nil => {}
            _ => {
                return self.errorf(format!(
                    "range can't iterate over {}",
                    gofmt::v(&super::builtins::redact(&val))
                ));
            }
        }
        if !ran && let Some(e) = &c.else_list {
            return self.walk_list(dot, e);
        }
        Ok(())
    }

    /// One pass of a range body; `Ok(false)` after `{{break}}`.
    fn iteration(
        &mut self,
        c: &'a Control,
        mark: usize,
        boxed: bool,
        index: Value,
        elem: Value,
    ) -> R<bool> {
        if let Err(e) = budget::steps(1) {
            return self.errorf(e);
        }
        let pipe = &c.pipe;
        if !pipe.decl.is_empty() {
            if pipe.is_assign {
                if pipe.decl.len() > 1 {
                    self.set_var(&pipe.decl[0], index.clone())?;
                } else {
                    self.set_var(&pipe.decl[0], elem.clone())?;
                }
            } else {
                self.set_top_var(1, elem.clone());
            }
        }
        if pipe.decl.len() > 1 {
            if pipe.is_assign {
                self.set_var(&pipe.decl[1], elem.clone())?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let saved = std::mem::replace(&mut self.dot_boxed, boxed);
        let r = self.walk_list(&elem, &c.list);
        self.dot_boxed = saved;
        self.vars.truncate(mark);
        match r {
            Ok(()) | Err(Flow::Continue) => Ok(true),
            Err(Flow::Break) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn walk_template(
        &mut self,
        dot: &Value,
        pos: usize,
        name: &'a str,
        pipe: Option<&'a Pipe>,
    ) -> R<()> {
        self.at(At::Template(pos, name, pipe));
        let Some(list) = self.tree.defs.get(name) else {
            return self.errorf(format!("template {} not defined", gofmt::quote(name)));
        };
        if self.depth >= MAX_EXEC_DEPTH {
            return self.errorf(format!(
                "exceeded maximum template depth ({MAX_EXEC_DEPTH})"
            ));
        }
        let new_dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Value::Nil,
        };
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$".into(), new_dot.clone())]);
        let saved_name = std::mem::replace(&mut self.tmpl_name, name.to_string());
        let saved_boxed = std::mem::replace(&mut self.dot_boxed, false);
        self.depth += 1;
        let r = self.walk_list(&new_dot, list);
        self.depth -= 1;
        self.dot_boxed = saved_boxed;
        self.tmpl_name = saved_name;
        self.vars = saved_vars;
        r
    }

    fn set_var(&mut self, name: &str, v: Value) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => self.errorf(format!("undefined variable: {name}")),
        }
    }

    fn set_top_var(&mut self, n: usize, v: Value) {
        let len = self.vars.len();
        if let Some(slot) = self.vars.get_mut(len - n) {
            slot.1 = v;
        }
    }

    fn var_value(&self, name: &str) -> R<Value> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => self.errorf(format!("undefined variable: {name}")),
        }
    }

    fn eval_pipeline(&mut self, dot: &Value, pipe: &'a Pipe) -> R<Value> {
        self.at(At::Pipe(pipe));
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or(Value::Nil);
        for v in &pipe.decl {
            if pipe.is_assign {
                self.set_var(v, value.clone())?;
            } else {
                self.vars.push((v.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &'a [Arg], final_: &Option<Value>) -> R<()> {
        if args.len() > 1 || final_.is_some() {
            return self.errorf(format!("can't give argument to non-function {}", args[0]));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &'a Cmd, final_: Option<Value>) -> R<Value> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                self.at(At::Arg(first));
                let boxed = self.dot_boxed;
                return self.eval_field_chain(dot, dot.clone(), boxed, idents, &cmd.args, final_);
            }
            Arg::Chain { node, fields, .. } => {
                self.at(At::Arg(first));
                let recv = self.eval_arg(dot, None, node)?;
                return self.eval_field_chain(dot, recv, false, fields, &cmd.args, final_);
            }
            Arg::Ident { name, .. } => {
                self.at(At::Arg(first));
                return self.eval_function(dot, name, At::Cmd(cmd), &cmd.args[1..], final_);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &final_)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Var { idents, .. } => {
                self.at(At::Arg(first));
                let v = self.var_value(&idents[0])?;
                if idents.len() == 1 {
                    self.not_a_function(&cmd.args, &final_)?;
                    return Ok(v);
                }
                return self.eval_field_chain(dot, v, false, &idents[1..], &cmd.args, final_);
            }
            _ => {}
        }
        self.at(At::Arg(first));
        self.not_a_function(&cmd.args, &final_)?;
        match first {
            Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => self.errorf("nil is not a command"),
            Arg::Number { .. } => self.ideal_constant(first),
            Arg::Str { text, .. } => Ok(Value::Str(text.clone())),
            _ => self.errorf(format!(
                "can't evaluate command {}",
                gofmt::quote(&first.to_string())
            )),
        }
    }

    fn ideal_constant(&mut self, n: &'a Arg) -> R<Value> {
        self.at(At::Arg(n));
        let Arg::Number { num, .. } = n else {
            return Ok(Value::Nil);
        };
        let t = &num.text;
        let is_hex_int = t.len() > 2
            && t.starts_with('0')
            && (t.as_bytes()[1] | 0x20) == b'x'
            && !t.contains(['p', 'P']);
        let is_rune = t.starts_with('\'');
        if num.is_float && !is_hex_int && !is_rune && t.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float(num.float));
        }
        if num.is_int {
            return Ok(Value::Int(num.int));
        }
        if num.is_uint {
            return self.errorf(format!("{t} overflows int"));
        }
        Ok(Value::Nil)
    }

    /// Walks `.a.b.c` from `recv`; the last element receives the command's arguments.
    /// An element naming a method of the value calls it (with the arguments when last).
    fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut recv: Value,
        mut boxed: bool,
        idents: &'a [String],
        args: &'a [Arg],
        mut final_: Option<Value>,
    ) -> R<Value> {
        // A method's failure names the whole chain (`args[0]`); other errors name the node
        // evaluated last, as in Go.
        let node = args.first().map_or(self.node, At::Arg);
        let n = idents.len();
        for (i, id) in idents.iter().enumerate() {
            let last = i == n - 1;
            if let Some(method) = super::methods::lookup(&recv, id) {
                let (margs, mfinal) = if last {
                    (args.get(1..).unwrap_or(&[]), final_.take())
                } else {
                    (&[][..], None)
                };
                let callee = Callee {
                    f: method,
                    name: id,
                    recv: Some(recv),
                };
                recv = self.eval_call(dot, callee, node, margs, mfinal)?;
                boxed = false;
                continue;
            }
            let has_args = last && (args.len() > 1 || final_.is_some());
            let (v, b) = self.eval_field(id, &recv, boxed, has_args)?;
            recv = v;
            boxed = b;
        }
        Ok(recv)
    }

    fn eval_field(
        &self,
        name: &str,
        recv: &Value,
        boxed: bool,
        has_args: bool,
    ) -> R<(Value, bool)> {
        match recv {
            Value::Nil => Ok((Value::Nil, false)),
            Value::Map(m) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                Ok((m.borrow().get(name).cloned().unwrap_or(Value::Nil), true))
            }
            Value::StrMap(m) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                Ok((
                    m.get(name)
                        .map(|s| Value::Str(s.clone()))
                        .unwrap_or(Value::Nil),
                    false,
                ))
            }
            Value::Cert(c) if name == "Cert" || name == "Key" => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                let field = if name == "Cert" { &c.cert } else { &c.key };
                Ok((Value::Str(field.clone()), false))
            }
            other => {
                let ty = if boxed {
                    "interface {}"
                } else {
                    other.type_name()
                };
                self.errorf(format!("can't evaluate field {name} in type {ty}"))
            }
        }
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        name: &str,
        node: At<'a>,
        args: &'a [Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let Some(f) = (self.lookup)(name) else {
            return self.errorf(format!("{} is not a defined function", gofmt::quote(name)));
        };
        let callee = Callee {
            f,
            name,
            recv: None,
        };
        self.eval_call(dot, callee, node, args, final_)
    }

    fn eval_call(
        &mut self,
        dot: &Value,
        callee: Callee<'_>,
        node: At<'a>,
        args: &'a [Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let Callee { f, name, recv } = callee;
        let num_in = args.len() + usize::from(final_.is_some());
        let num_fixed = f.params.len();
        if f.variadic.is_some() {
            if num_in < num_fixed {
                return self.errorf(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    num_fixed,
                    args.len()
                ));
            }
        } else if num_in != num_fixed {
            return self.errorf(format!(
                "wrong number of args for {name}: want {num_fixed} got {num_in}"
            ));
        }
        if f.special == Special::And || f.special == Special::Or {
            let want = f.special == Special::Or;
            let mut v = Value::Nil;
            for a in args {
                v = self.eval_arg(dot, Some(Ty::Refl), a)?;
                if v.truth() == want {
                    return Ok(v);
                }
            }
            if let Some(fv) = final_ {
                v = fv;
            }
            return Ok(v);
        }
        let mut argv = Vec::with_capacity(num_in + 1);
        argv.extend(recv);
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            argv.push(self.eval_arg(dot, Some(f.params[i]), &args[i])?);
            i += 1;
        }
        if let Some(vt) = f.variadic {
            while i < args.len() {
                argv.push(self.eval_arg(dot, Some(vt), &args[i])?);
                i += 1;
            }
        }
        if let Some(fv) = final_ {
            let t = match f.variadic {
                Some(vt) => {
                    if num_in - 1 < num_fixed {
                        f.params[num_in - 1]
                    } else {
                        vt
                    }
                }
                None => f.params[num_fixed - 1],
            };
            argv.push(self.validate_type(fv, Some(t))?);
        }
        if f.special == Special::Call {
            let callee = match args.first() {
                Some(a) => a.to_string(),
                None => match argv.first() {
                    Some(Value::Str(s)) => s.to_str_lossy().into_owned(),
                    Some(v) => format!("<{} Value>", v.type_name()),
                    None => String::new(),
                },
            };
            let msg = match argv.first() {
                None | Some(Value::Nil) => "call of nil".to_string(),
                Some(v) => format!("non-function {callee} of type {}", v.type_name()),
            };
            self.at(node);
            return self.errorf(format!("error calling call: {msg}"));
        }
        // Work that grows with the input (hashing, searching) is paid for up front.
        let cost = argv.iter().map(super::value::input_cost).sum::<u64>();
        let r = budget::steps(cost).and_then(|()| (f.body)(argv));
        // A limit crossed anywhere inside the call wins over what the call returned.
        if let Some(limit) = budget::exceeded() {
            self.at(node);
            return self.errorf(format!("error calling {name}: {limit}"));
        }
        match r {
            Ok(v) if v.deeper_than(MAX_VALUE_DEPTH) => {
                self.at(node);
                let msg = match budget::exceeded() {
                    Some(limit) => limit.to_string(),
                    None => format!("value nested deeper than {MAX_VALUE_DEPTH} levels"),
                };
                self.errorf(format!("error calling {name}: {msg}"))
            }
            Ok(v) => Ok(v),
            Err(e) => {
                self.at(node);
                self.errorf(format!("error calling {name}: {e}"))
            }
        }
    }

    fn validate_type(&self, v: Value, ty: Option<Ty>) -> R<Value> {
        let Some(ty) = ty else { return Ok(v) };
        if v.is_nil() {
            if ty.can_be_nil() {
                return Ok(Value::Nil);
            }
            return self.errorf(format!("invalid value; expected {}", ty.name()));
        }
        if !ty.accepts(&v) {
            return self.errorf(format!(
                "wrong type for value; expected {}; got {}",
                ty.name(),
                v.type_name()
            ));
        }
        Ok(v)
    }

    fn eval_arg(&mut self, dot: &Value, ty: Option<Ty>, n: &'a Arg) -> R<Value> {
        self.at(At::Arg(n));
        match n {
            Arg::Dot { .. } => return self.validate_type(dot.clone(), ty),
            Arg::Nil { .. } => {
                let t = ty.unwrap_or(Ty::Any);
                if t.can_be_nil() {
                    return Ok(Value::Nil);
                }
                return self.errorf(format!("cannot assign nil to {}", t.name()));
            }
            Arg::Field { idents, .. } => {
                let boxed = self.dot_boxed;
                let v = self.eval_field_chain(
                    dot,
                    dot.clone(),
                    boxed,
                    idents,
                    std::slice::from_ref(n),
                    None,
                )?;
                return self.validate_type(v, ty);
            }
            Arg::Var { idents, .. } => {
                let v = self.var_value(&idents[0])?;
                let v = if idents.len() == 1 {
                    v
                } else {
                    let me = std::slice::from_ref(n);
                    self.eval_field_chain(dot, v, false, &idents[1..], me, None)?
                };
                return self.validate_type(v, ty);
            }
            Arg::Pipe(p) => {
                let v = self.eval_pipeline(dot, p)?;
                return self.validate_type(v, ty);
            }
            Arg::Ident { name, .. } => {
                let v = self.eval_function(dot, name, At::Arg(n), &[], None)?;
                return self.validate_type(v, ty);
            }
            Arg::Chain { node, fields, .. } => {
                let recv = self.eval_arg(dot, None, node)?;
                self.at(At::Arg(n));
                let me = std::slice::from_ref(n);
                let v = self.eval_field_chain(dot, recv, false, fields, me, None)?;
                return self.validate_type(v, ty);
            }
            _ => {}
        }
        let ty = ty.unwrap_or(Ty::Any);
        match ty {
            Ty::Bool => match n {
                Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
                _ => self.errorf(format!("expected bool; found {n}")),
            },
            Ty::F64 => match n {
                Arg::Number { num, .. } if num.is_float => Ok(Value::Float(num.float)),
                _ => self.errorf(format!("expected float; found {n}")),
            },
            Ty::Int => match n {
                Arg::Number { num, .. } if num.is_int => Ok(Value::Int(num.int)),
                _ => self.errorf(format!("expected integer; found {n}")),
            },
            Ty::Any | Ty::Refl => match n {
                Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
                Arg::Number { .. } => self.ideal_constant(n),
                Arg::Str { text, .. } => Ok(Value::Str(text.clone())),
                _ => self.errorf(format!(
                    "can't handle assignment of {n} to empty interface argument"
                )),
            },
            Ty::Str => match n {
                Arg::Str { text, .. } => Ok(Value::Str(text.clone())),
                _ => self.errorf(format!("expected string; found {n}")),
            },
            Ty::Map | Ty::Time | Ty::List | Ty::Version | Ty::Cert => {
                self.errorf(format!("can't handle {n} for arg of type {}", ty.name()))
            }
        }
    }
}

/// The dot value: item name → plaintext. The items exist already, so they are shared into
/// the render without charging the budget.
pub fn dot_of<V: AsRef<[u8]>>(values: &BTreeMap<String, V>) -> Value {
    let map = values
        .iter()
        .map(|(k, v)| (k.clone(), Bytes::shared(v.as_ref().into())))
        .collect();
    Value::StrMap(std::rc::Rc::new(map))
}
