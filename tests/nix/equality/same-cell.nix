# Nix 2.8 compares the members of lists and sets by the cell holding them
# before their contents: the same cell is equal to itself once forced, even
# a function; the operands of `==` themselves never are.
let
  f = x: x;
  s = { a = f; };
  g = if true then f else f;
  h = g;
  bomb = { a = throw "not forced"; };
  drv = { type = "derivation"; outPath = throw "not forced"; };
  nan = (builtins.fromTOML "v = nan").v;
  nans = (builtins.fromTOML "v = [nan]").v;
  nanSet = (builtins.fromTOML "v = { a = nan }").v;
  m = builtins.map;
  inherit (builtins) add;
in
{
  operands = f == f;
  list = [ f ] == [ f ];
  set = { a = f; } == { a = f; };
  inherited = { inherit f; } == { inherit f; };
  sameList = let l = [ f ]; in l == l;
  sameSet = s == s;
  selected = [ s.a ] == [ f ];
  selectedTwice = [ s.a ] == [ s.a ];
  selectedForced = builtins.seq s.a ([ s.a ] == [ f ]);
  inheritFrom = { inherit (s) a; } == { inherit (s) a; };
  alias = let a = f; in [ a ] == [ f ];
  thunkVsValue = [ g ] == [ f ];
  thunkForcedVsValue = builtins.seq g ([ g ] == [ f ]);
  sharedThunk = [ g ] == [ g ];
  aliasOfThunk = [ h ] == [ g ];
  twoLambdas = [ (x: x) ] == [ (x: x) ];
  nested = [ [ f ] ] == [ [ f ] ];
  mapped = map (x: x) [ f ] == [ f ];
  concatenated = [ f ] ++ [ ] == [ f ];
  tail = builtins.tail [ 1 f ] == [ f ];
  elem = builtins.elem f [ f ];
  elemOfMapped = builtins.elem f (map (x: x) [ f ]);
  elemSelected = builtins.elem s.a [ f ];
  head = [ (builtins.head [ f ]) ] == [ f ];
  letInList = [ (let y = f; in y) ] == [ f ];
  withVariable = with { w = x: x; }; [ w ] == [ w ];
  globalBuiltin = [ map ] == [ map ];
  selectedBuiltin = [ builtins.map ] == [ builtins.map ];
  boundBuiltin = [ m ] == [ m ];
  inheritedBuiltin = [ add ] == [ add ];
  partial = let p = map (x: x); in [ p ] == [ p ];
  partialOperands = let p = map (x: x); in p == p;
  unforcedMember = [ bomb ] == [ bomb ];
  derivationMember = [ drv ] == [ drv ];
  nanMember = [ nan ] == [ nan ];
  nanOperands = nan == nan;
  nanList = nans == nans;
  nanListCopy = [ (builtins.head nans) ] == nans;
  nanSet = nanSet == nanSet;
  updated = s == s // { };
  updatedMore = { a = f; b = 1; } // { } == { a = f; b = 1; };
  keptByUpdate = let x = { a = f; b = 1; }; in x == x // { b = 1; };
  argument = (y: [ y ] == [ f ]) f;
  formal = ({ y }: [ y ] == [ f ]) { y = f; };
  default = ({ y ? f }: [ y ] == [ f ]) { };
  selectedArgument = (y: [ y ] == [ f ]) s.a;
  attrValues = builtins.attrValues { a = f; } == [ f ];
  listToAttrs = builtins.listToAttrs [ { name = "a"; value = f; } ] == { a = f; };
  genList = builtins.genList (_: f) 1 == [ f ];
  filter = builtins.filter (_: true) [ f ] == [ f ];
  mapAttrs = builtins.mapAttrs (n: v: v) { a = f; } == { a = f; };
  removeAttrs = builtins.removeAttrs { a = f; b = 1; } [ "b" ] == { a = f; };
  derivationOutPaths =
    { type = "derivation"; outPath = f; a = 1; } == { type = "derivation"; outPath = f; a = 2; };
  notEqual = [ f ] != [ f ];
  lessThan = [ f 0 ] < [ f 1 ];
  notLess = [ f ] < [ f ];
  functor = let o = { __functor = self: x: x; }; in o == o;
}
