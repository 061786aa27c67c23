package io.cordon.stage.user;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The container's /etc/passwd and /etc/group, parsed leniently the way libc does:
 * blank lines, comments, NIS {@code +}/{@code -} entries and lines whose ids are not
 * numbers are skipped. A missing file is an empty one.
 */
record UserDatabase(List<User> users, List<Group> groups, boolean hasPasswd, boolean hasGroup) {

    record User(String name, int uid, int gid) {
    }

    record Group(String name, int gid, List<String> members) {
    }

    static UserDatabase parse(Optional<String> passwd, Optional<String> group) {
        List<User> users = new ArrayList<>();
        for (String[] f : records(passwd, 4)) {
            Integer uid = id(f[2]);
            Integer gid = id(f[3]);
            if (uid != null && gid != null) {
                users.add(new User(f[0], uid, gid));
            }
        }
        List<Group> groups = new ArrayList<>();
        for (String[] f : records(group, 3)) {
            Integer gid = id(f[2]);
            if (gid != null) {
                List<String> members = new ArrayList<>();
                if (f.length > 3) {
                    for (String m : f[3].split(",")) {
                        if (!m.isBlank()) {
                            members.add(m.trim());
                        }
                    }
                }
                groups.add(new Group(f[0], gid, List.copyOf(members)));
            }
        }
        return new UserDatabase(List.copyOf(users), List.copyOf(groups), passwd.isPresent(), group.isPresent());
    }

    /** The first user whose name, or uid written in decimal, is {@code who}. */
    Optional<User> user(String who) {
        return users.stream().filter(u -> u.name().equals(who) || Integer.toString(u.uid()).equals(who)).findFirst();
    }

    /** The first group whose name, or gid written in decimal, is {@code which}. */
    Optional<Group> group(String which) {
        return groups.stream().filter(g -> g.name().equals(which) || Integer.toString(g.gid()).equals(which))
                .findFirst();
    }

    /** The gids of the groups that list {@code user} as a member, in file order. */
    List<Integer> memberships(String user) {
        return groups.stream().filter(g -> g.members().contains(user)).map(Group::gid).toList();
    }

    private static List<String[]> records(Optional<String> text, int minFields) {
        List<String[]> out = new ArrayList<>();
        if (text.isEmpty()) {
            return out;
        }
        for (String line : text.get().split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith("+") || l.startsWith("-")) {
                continue;
            }
            String[] f = l.split(":", -1);
            if (f.length >= minFields && !f[0].isEmpty()) {
                out.add(f);
            }
        }
        return out;
    }

    private static Integer id(String s) {
        try {
            long v = Long.parseLong(s.trim());
            return v >= 0 && v <= Identity.MAX_ID ? (int) v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
