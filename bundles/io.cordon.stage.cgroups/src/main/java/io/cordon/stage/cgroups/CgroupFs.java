package io.cordon.stage.cgroups;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The cgroup filesystem operations the stage uses. In cgroupfs a mkdir makes a
 * cgroup with its interface files and rmdir removes it (only when no process is
 * left); a write of one value is one write(2). Tests replace mkdir and rmdir to
 * act as the kernel does on a plain directory tree.
 */
class CgroupFs {
    static final CgroupFs REAL = new CgroupFs();

    /** Creates the cgroup; false if it already existed. */
    boolean mkdir(Path dir) throws IOException {
        try {
            Files.createDirectory(dir);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }

    /** Removes an empty cgroup (its interface files go with it); false if it did not exist. */
    boolean rmdir(Path dir) throws IOException {
        try {
            Files.delete(dir);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    boolean exists(Path file) {
        return Files.exists(file);
    }

    /** Writes an existing interface file; never creates one. */
    void write(Path file, String value) throws IOException {
        Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
    }

    String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.US_ASCII);
    }

    /** The processes in the cgroup (its cgroup.procs); none if it is gone. */
    List<Long> procs(Path dir) throws IOException {
        List<Long> pids = new ArrayList<>();
        String text;
        try {
            text = read(dir.resolve("cgroup.procs"));
        } catch (NoSuchFileException e) {
            return pids;
        }
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                pids.add(Long.parseLong(line.trim()));
            }
        }
        return pids;
    }
}
