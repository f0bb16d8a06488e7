# List and set literals in lazy positions (an argument, a list element, a
# value in a set): nothing they hold is evaluated before it is read, a
# dynamic name or a `with` variable in an unread literal is never looked
# at, and literals that refer to bindings not made yet, or to the set they
# are in, see them once made.
let
  const = _: "unread";
  inherit (builtins) length attrNames unsafeGetAttrPos;
  outer = { shadowed = throw "the inner binding is meant"; };
  selfRef = rec { a = [ { b = a; } ]; };
  # A set's values may refer to later bindings of the same `let`.
  early = [ { v = later; } ];
  later = 7;
in with outer; {
  # Elements stay lazy.
  argument = const { a = throw "element of an argument"; b = abort "never"; };
  list = length [ [ (throw "inner") ] { x = throw "value"; } ];
  nested = attrNames { a = { b = { c = throw "deep"; }; }; d = [ (abort "no") ]; };
  # A dynamic name is evaluated when its set is: in an unread argument,
  # never.
  dynamic = const { ${throw "a dynamic name"} = 1; };
  dynamicInList = length [ { ${abort "a dynamic name"} = 1; } ];
  # A `with` variable in a lazy position is looked up when it stands
  # there; inside an unread literal, never.
  withVariable = const { a = missingFromWith; };
  withVariableInList = length [ [ missingFromWith ] ];
  # Bindings not made yet, and a recursive set reaching itself.
  early = (builtins.head early).v;
  selfRef = builtins.length (builtins.head selfRef.a).b;
  shadowing = let shadowed = 3; in (builtins.head [ { s = shadowed; } ]).s;
  # Positions and sizes are those of the literal.
  position = (unsafeGetAttrPos "here" { here = 1; }).line;
  large = length (attrNames {
    a01 = throw "unread"; a02 = 2; a03 = 3; a04 = 4; a05 = 5; a06 = 6; a07 = 7; a08 = 8; a09 = 9;
    a10 = 10; a11 = 11; a12 = 12; a13 = 13; a14 = 14; a15 = 15; a16 = 16; a17 = 17;
  });
}
