# `with`- and `rec`-heavy code in the style of nixpkgs: nested `with`
# scopes over a large library set (names found in outer scopes), and
# `rec` sets whose attributes refer to each other.
{ n ? 20000 }:
let
  inherit (builtins) genList foldl' listToAttrs;
  lib = listToAttrs (genList (i: { name = "f${toString i}"; value = x: x + i; }) 300)
    // { inherit (builtins) length head; add = a: b: a + b; };
  ctx = { a = 1; b = 2; c = 3; };
  item = i: with lib; with ctx; rec {
    x = add i a;
    y = f7 x + b;
    z = f299 (y * c);
    list = [ x y z ];
    total = add (add x y) (length list + head list + z);
  };
  inner = i: with ctx; with lib; with { p = i; }; with { q = p + 1; }; with { r = q + a; };
    add (add p q) (r + f1 b + c);
  recChain = i: (rec {
    a0 = i; a1 = a0 + 1; a2 = a1 + a0; a3 = a2 + a1; a4 = a3 + a2;
    a5 = a4 + a3; a6 = a5 + a4; a7 = a6 + a5; nested = { v = a7 + a0; };
  }).nested.v;
  letRec = i:
    let
      even = k: if k == 0 then true else odd (k - 1);
      odd = k: if k == 0 then false else even (k - 1);
    in if even (i - i / 16 * 16) then 1 else 0;
in
foldl' (acc: i: acc + (item i).total + recChain i + inner i + letRec i) 0 (genList (i: i) n)
