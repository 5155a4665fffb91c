#include "bus/messagebus.h"
