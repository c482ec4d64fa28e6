/* eventmap: placeholder until the module lands. */
#include "config.h"
#include "eventmap.h"
