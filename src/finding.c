/* finding: placeholder until the module lands. */
#include "config.h"
#include "finding.h"
