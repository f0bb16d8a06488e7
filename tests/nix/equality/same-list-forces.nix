let x = [ (throw "member forced") ]; in x == x
