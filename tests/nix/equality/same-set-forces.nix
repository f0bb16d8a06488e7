let x = { a = throw "member forced"; }; in x == x
