# Every kind of value in Nix's XML schema.
builtins.toXML {
  int = -3;
  float = [ 1.5 0.1 1000000.0 1.0e-5 ];
  bool = [ true false ];
  null = null;
  string = "text";
  list = [ 1 [ ] { } ];
  set = { b = 2; a = 1; };
  builtin = builtins.map;
  partial = builtins.map (x: x);
  lambda = x: x;
  pattern = { b, a ? 1 }: a;
  named = args@{ c, ... }: c;
}
