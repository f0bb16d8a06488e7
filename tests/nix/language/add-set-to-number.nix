{ __toString = _: "x"; } + 1
