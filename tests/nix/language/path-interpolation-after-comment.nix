# The same with a comment in between.
let h = "x"; in
~/p # c
${h}
