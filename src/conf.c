/* conf: placeholder until the module lands. */
#include "config.h"
#include "conf.h"
