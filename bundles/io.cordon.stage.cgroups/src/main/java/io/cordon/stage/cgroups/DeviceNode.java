package io.cordon.stage.cgroups;

/** A host device node: block ('b') or character ('c'), its numbers, mode bits and owner. */
record DeviceNode(char type, int major, int minor, int mode, int uid, int gid) {
    static final int S_IFMT = 0170000;
    static final int S_IFCHR = 0020000;
    static final int S_IFBLK = 0060000;

    /** From st_mode and st_rdev (glibc's encoding of dev_t), or null when it is not a device. */
    static DeviceNode of(int stMode, long rdev, int uid, int gid) {
        int fmt = stMode & S_IFMT;
        if (fmt != S_IFCHR && fmt != S_IFBLK) {
            return null;
        }
        int major = (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
        int minor = (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL));
        return new DeviceNode(fmt == S_IFBLK ? 'b' : 'c', major, minor, stMode & 07777, uid, gid);
    }

    int typeBits() {
        return type == 'b' ? S_IFBLK : S_IFCHR;
    }

    String numbers() {
        return major + ":" + minor;
    }
}
