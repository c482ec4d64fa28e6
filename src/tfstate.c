/* tfstate: placeholder until the module lands. */
#include "config.h"
#include "tfstate.h"
