# A package set built as a fixpoint with overlays, in the style of
# nixpkgs' lib.fix, lib.extends and lib.composeManyExtensions: 1,000
# packages whose dependencies refer to the final set, `n` overlays that
# override packages and add new ones, and a callPackage.
{ n ? 2000 }:
let
  inherit (builtins) foldl' genList listToAttrs attrValues filter length intersectAttrs functionArgs;
  fix = f: let x = f x; in x;
  extends = overlay: f: final: let prev = f final; in prev // overlay final prev;
  composeExtensions = f: g: final: prev:
    let fApplied = f final prev; prev' = prev // fApplied;
    in fApplied // g final prev';
  composeManyExtensions = foldl' composeExtensions (final: prev: { });
  max = a: b: if a > b then a else b;
  pkgCount = 1000;
  name = i: "p${toString i}";
  mkPkg = final: i: rec {
    pname = name i;
    version = 1;
    deps = if i < 2 then [ ] else [ final.${name (i / 2)} final.${name (i / 3)} ];
    depth = 1 + foldl' max 0 (map (d: d.depth) deps);
  };
  base = final: listToAttrs (genList (i: { name = name i; value = mkPkg final i; }) pkgCount) // {
    callPackage = fn: args: fn (intersectAttrs (functionArgs fn) final // args);
  };
  target = k: name (k * 37 - k * 37 / pkgCount * pkgCount);
  overlay = k: final: prev: {
    ${target k} = prev.${target k} // { version = prev.${target k}.version + 1; };
    "extra${toString k}" = final.callPackage
      ({ p1, p2, p3 ? null, ... }: { pname = "extra${toString k}"; version = k; deps = [ p1 p2 ]; depth = p1.depth + 1; })
      { p2 = final.${name (k + 1)}; };
  };
  pkgs = fix (extends (composeManyExtensions (genList overlay n)) base);
  packages = filter (p: p ? version) (attrValues pkgs);
in
{
  count = length packages;
  versions = foldl' (a: p: a + p.version) 0 packages;
  depths = foldl' (a: p: a + p.depth) 0 packages;
  deps = foldl' (a: p: a + length p.deps) 0 packages;
}
