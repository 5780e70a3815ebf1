package io.qfiber.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every Java code block of the docs that quote example sources appears, line by line (ignoring
 * indentation), in a source file of this module (main or test), which compiles and whose tests run: the docs
 * cannot drift from code that works.
 */
class DocSnippetsTest {
    private static final Path DOCS = Path.of("..", "docs");
    private static final List<Path> SOURCES = List.of(Path.of("src", "main", "java"), Path.of("src", "test", "java"));
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

    @ParameterizedTest
    @ValueSource(strings = {"select.md", "spring.md", "structured.md", "testing.md"})
    void everyJavaBlockIsTakenFromAnExampleSource(String doc) throws IOException {
        String text = Files.readString(DOCS.resolve(doc));
        List<String> sources = new ArrayList<>();
        for (Path root : SOURCES) {
            try (Stream<Path> files = Files.walk(root)) {
                files.filter(p -> p.toString().endsWith(".java")).forEach(p -> sources.add(normalize(read(p))));
            }
        }
        Matcher m = JAVA_BLOCK.matcher(text);
        int blocks = 0;
        while (m.find()) {
            blocks++;
            String block = normalize(m.group(1));
            assertThat(sources).as("a source containing this block of %s:%n%s", doc, m.group(1))
                    .anySatisfy(src -> assertThat(src).contains(block));
        }
        assertThat(blocks).as("java blocks in %s", doc).isPositive();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Strips each line's indentation and drops blank lines. */
    private static String normalize(String s) {
        StringBuilder b = new StringBuilder();
        for (String line : s.split("\n")) {
            String t = line.strip();
            if (!t.isEmpty()) {
                b.append(t).append('\n');
            }
        }
        return b.toString();
    }
}
