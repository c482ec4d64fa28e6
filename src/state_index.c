/* state_index: placeholder until the module lands. */
#include "config.h"
#include "state_index.h"
