# With __structuredAttrs the attributes travel as JSON in `__json`.
let
  dep = derivation {
    name = "dep";
    system = "x86_64-linux";
    builder = "/bin/sh";
  };
  drv = builtins.derivationStrict {
    name = "structured";
    system = "x86_64-linux";
    builder = "/bin/sh";
    __structuredAttrs = true;
    outputs = [ "out" "doc" ];
    args = [ "-c" "true" ];
    numbers = [ 1 (-2) 0.5 1.0e20 1.0e-7 ];
    text = "quote \" backslash \\ newline \n tab \t";
    nothing = null;
    flags = { a = true; b = false; };
    file = ./src.txt;
    inherit dep;
    depOut = "${dep}";
    nested.list = [ [ ] { } [ { x = 1; } ] ];
    stringy = { __toString = self: "s"; };
  };
in
drv
