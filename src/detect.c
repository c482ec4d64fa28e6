/* detect: placeholder until the module lands. */
#include "config.h"
#include "detect.h"
