let x = throw "member forced"; in builtins.elem x [ x ]
