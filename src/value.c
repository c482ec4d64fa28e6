/* value: placeholder until the module lands. */
#include "config.h"
#include "value.h"
