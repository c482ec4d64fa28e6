/* event: placeholder until the module lands. */
#include "config.h"
#include "event.h"
