"${./data}/x" + "${./hello.drv}"
