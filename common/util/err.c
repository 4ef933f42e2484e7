#include "err.h"

#include <string.h>

const char *
mnemo_strerror(int r)
{
	return strerror(r < 0 ? -r : r);
}
