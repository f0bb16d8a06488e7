# Derivations compare by their outPath alone.
let
  mk = attrs: derivation ({ name = "eq"; system = "x"; builder = "/bin/sh"; } // attrs);
in
[
  (mk { } == mk { })
  (mk { } == mk { extra = 1; })
  (mk { } == (mk { }) // { ignored = 1; })
  (mk { outputs = [ "out" "dev" ]; } == (mk { outputs = [ "out" "dev" ]; }).out)
]
