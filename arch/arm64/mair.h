/* Memory attribute slots of MAIR_EL1 (head.S programs MAIR_VALUE). */
#ifndef ARCH_ARM64_MAIR_H
#define ARCH_ARM64_MAIR_H

#define MAIR_DEVICE_nGnRnE 0 /* 0x00 */
#define MAIR_DEVICE_nGnRE 1  /* 0x04 */
#define MAIR_NORMAL 2        /* 0xff: write-back, read/write-allocate */
#define MAIR_NORMAL_NC 3     /* 0x44: non-cacheable */
#define MAIR_VALUE 0x44ff0400

#endif
