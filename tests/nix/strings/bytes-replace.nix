# replaceStrings works on bytes: a pattern may be part of a character, and
# an empty pattern matches between every two bytes.
with builtins;
let
  lead = substring 0 1 "ü"; # the byte 0xC3, which starts "ü" and "ä"
in
[
  (replaceStrings [ lead ] [ "X" ] "üäa")
  (replaceStrings [ (substring 1 1 "ü") ] [ "" ] "üb")
  (replaceStrings [ "" ] [ "." ] "ü")
  (stringLength (replaceStrings [ "" ] [ "." ] "€"))
  (replaceStrings [ "ü" ] [ lead ] "aüb")
  (replaceStrings [ lead "ü" ] [ "1" "2" ] "ü")
]
