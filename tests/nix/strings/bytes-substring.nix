# Strings are bytes, as in Nix: substring and stringLength count bytes, a
# cut may fall inside a multi-byte character, and the pieces join again.
with builtins;
let
  u = "ü"; # two bytes
  euro = "€"; # three bytes
  first = substring 0 1 u;
  second = substring 1 1 u;
in
[
  (stringLength (substring 0 1 "ü"))
  (substring 0 1 "ü" + substring 1 1 "ü" == "ü")
  (stringLength u)
  (stringLength euro)
  first
  second
  (first + second)
  (stringLength first)
  (first == second)
  (first < second)
  (substring 1 2 "a€b")
  (substring 2 10 "a€b")
  (concatStringsSep "" (genList (i: substring i 1 euro) 3) == euro)
  "${first}${second}"
  (toString [ first second ])
  (stringLength "${substring 0 2 euro}x")
]
