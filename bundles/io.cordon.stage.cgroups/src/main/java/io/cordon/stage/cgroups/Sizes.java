package io.cordon.stage.cgroups;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Docker's byte sizes ("512m", "1.5g", "100000": binary multiples) and their display ("64 MiB"). */
final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?");
    private static final String UNITS = "kmgtp";
    private static final String[] NAMES = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    private Sizes() {
    }

    /** Bytes, or -1 when {@code text} is not a size (or does not fit in a long). */
    static long parse(String text) {
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            return -1;
        }
        BigDecimal n = new BigDecimal(m.group(1));
        if (m.group(2) != null) {
            int exp = UNITS.indexOf(Character.toLowerCase(m.group(2).charAt(0))) + 1;
            n = n.multiply(BigDecimal.valueOf(1024).pow(exp));
        }
        try {
            return n.setScale(0, java.math.RoundingMode.DOWN).longValueExact();
        } catch (ArithmeticException tooBig) {
            return -1;
        }
    }

    /** 67108864 as "64 MiB", 1536 as "1.5 KiB": a whole number when exact, else one decimal. */
    static String human(long bytes) {
        int unit = 0;
        double v = bytes;
        while (v >= 1024 && unit < NAMES.length - 1) {
            v /= 1024;
            unit++;
        }
        if (v == Math.rint(v)) {
            return (long) v + " " + NAMES[unit];
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, NAMES[unit]);
    }
}
