# toJSON writes a string's bytes as they are, escaping only what JSON
# requires (quotes, backslashes, control characters).
with builtins;
let
  lead = substring 0 1 "ü";
  controls = fromJSON ''"\u0001\u001b\u007f\t"'';
in
[
  (toJSON lead)
  (toJSON [ lead "ü" (substring 2 1 "€") ])
  (toJSON { ${lead} = lead; })
  (toJSON controls)
  (toJSON (readFile ./bytes.bin))
  (fromJSON (toJSON "ü€") == "ü€")
  (stringLength (toJSON lead))
]
