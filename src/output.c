/* output: placeholder until the module lands. */
#include "config.h"
#include "output.h"
