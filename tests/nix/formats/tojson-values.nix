# Every kind of value toJSON accepts, nested, with keys in name order.
builtins.toJSON {
  int = 42;
  negative = -7;
  floats = [ 1.5 0.1 100000.0 1000000.0 123456789.123 (1.0 / 3) 1.0e-5 1.0e300 ];
  bool = [ true false ];
  null = null;
  string = "plain";
  empty = { list = [ ]; set = { }; string = ""; };
  nested = [ [ [ 1 ] ] { a = [ { b = { }; } ]; } ];
  z = 1;
  A = 2;
  _ = 3;
  "with space" = 4;
  "é" = 5;
  computed = 1 + 2;
}
