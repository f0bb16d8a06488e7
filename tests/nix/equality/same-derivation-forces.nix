let d = { type = "derivation"; outPath = throw "member forced"; }; in d == d
