# Attribute names are bytes too: a name need not be UTF-8, and names sort
# by their bytes.
with builtins;
let
  lead = substring 0 1 "ü";
  byNames = listToAttrs [
    {
      name = lead;
      value = 1;
    }
  ];
  dynamic = {
    ${substring 1 1 "ü"} = "tail";
    "${lead}x" = "lead";
    z = 3;
    "é" = 4;
    "ü" = 5;
    A = 6;
  };
in
[
  (listToAttrs [
    {
      name = substring 0 1 "ü";
      value = 1;
    }
  ])
  byNames
  (attrNames byNames)
  (byNames.${lead})
  (hasAttr lead byNames)
  (hasAttr "ü" byNames)
  dynamic
  (attrNames dynamic)
  (map stringLength (attrNames dynamic))
  (dynamic."${lead}x")
  (removeAttrs dynamic [ "${lead}x" ])
  (intersectAttrs byNames { ${lead} = 2; })
  (mapAttrs (n: v: stringLength n) dynamic)
  (builtins.toJSON byNames)
]
