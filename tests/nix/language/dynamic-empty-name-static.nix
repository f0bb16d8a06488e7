# `${""}` is a static attribute name, like `${"a"}`: defining it twice is an
# error found before evaluation, even in a branch that is never taken.
if false then { "" = 1; ${""} = 2; } else 0
