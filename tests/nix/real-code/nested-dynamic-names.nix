# From lib.evalModules configurations that set `users.users.${cfg.user}`:
# a dynamic name inside a nested path is evaluated when the inner set is
# forced, not when the outer set is built, so it may refer to the set itself.
let
  s = { a.b.${s.a.x} = 1; a.x = "q"; };
  r = rec { a.b.${x} = 2; x = "p"; };
  cfg = { users.users.${cfg.user}.home = "/home/${cfg.user}"; user = "alice"; };
in
[
  (builtins.attrNames { a.b.${throw "no"} = 1; })
  (builtins.attrNames { a = { ${throw "no"} = 1; }; })
  (builtins.attrNames { ${"a"}.${throw "no"} = 1; })
  (builtins.attrNames (rec { a.b.${throw "no"} = 1; }))
  (let a.b.${throw "no"} = 1; in builtins.attrNames a)
  (builtins.attrNames { a.b = { }; a.${throw "no"} = 1; })
  s.a.b.q
  r.a.b.p
  cfg.users.users.alice.home
  { a.${"x"} = 1; a.y = 2; }
]
