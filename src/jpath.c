/* jpath: placeholder until the module lands. */
#include "config.h"
#include "jpath.h"
