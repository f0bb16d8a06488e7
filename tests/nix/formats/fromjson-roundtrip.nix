# fromJSON reads what toJSON writes.
let
  value = {
    a = [ 1 2.5 "three" null true { b = "c\nd"; } ];
    e = { };
    "f g" = [ [ ] ];
  };
in
builtins.fromJSON (builtins.toJSON value) == value
