# String building: interpolation, toString, concatStringsSep, concatStrings,
# replaceStrings, substring character by character, repeated `+`
# appends, and a hash of the result.
{ n ? 50000 }:
let
  inherit (builtins)
    genList concatStringsSep stringLength substring replaceStrings foldl'
    hashString;
  concatStrings = concatStringsSep "";
  words = genList (i: "w${toString i}") n;
  joined = concatStringsSep "," words;
  interpolated = concatStrings (map (w: "<${w}:${toString (stringLength w)}>") words);
  replaced = replaceStrings [ "w" "," ] [ "word-" "; " ] joined;
  chars = s: genList (i: substring i 1 s) (stringLength s);
  reversed = concatStrings (foldl' (acc: c: [ c ] ++ acc) [ ] (chars (substring 0 (n / 10) joined)));
  appended = foldl' (acc: w: acc + w + " ") "" (genList (i: "x${toString i}") (n / 4));
in
{
  joined = stringLength joined;
  interpolated = stringLength interpolated;
  replaced = substring 0 60 replaced;
  reversed = substring 0 60 reversed;
  appended = stringLength appended;
  hash = hashString "sha256" interpolated;
}
