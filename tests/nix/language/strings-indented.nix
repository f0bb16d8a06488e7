[ ''
    one
      two
    ''${x}
  '' "a	b
\${c}" ]
