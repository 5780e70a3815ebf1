package io.qfiber.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Maven command that README.md, docs/ and the examples' Javadoc give is checked against
 * what makes such a command work on a fresh clone: a lifecycle phase before {@code exec:exec}
 * (it selects the JDK 21+ toolchain; without it the default JDK runs the class), a main class that
 * exists and has a {@code main}, {@code -pl} only with {@code -am} or after a documented
 * {@code install}, and arguments that reach the program split at spaces. README's set-up section
 * gives exactly two commands, and CI runs the second.
 */
class DocCommandsTest {
    private static final Path ROOT = Path.of("..");
    private static final Pattern CODE = Pattern.compile("`{1,3}([^`]*?\\bmvn [^`]*?)`{1,3}", Pattern.DOTALL);
    private static final Pattern JAVADOC_CODE = Pattern.compile("\\{@code (mvn [^}]*)}", Pattern.DOTALL);
    private static final Pattern PHASE = Pattern.compile("\\b(validate|compile|test|package|verify|install)\\b");
    private static final Pattern MAIN_CLASS = Pattern.compile("-Dexec\\.mainClass=([\\w.$]+)");

    /** A command and where it was found. */
    record Command(String text, Path file, boolean fileDocumentsInstall) {}

    static List<Command> commands() throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(ROOT.resolve("README.md"));
        try (Stream<Path> docs = Files.walk(ROOT.resolve("docs"));
             Stream<Path> sources = Files.walk(Path.of("src", "main", "java"))) {
            docs.filter(p -> p.toString().endsWith(".md")).forEach(files::add);
            sources.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
        }
        List<Command> found = new ArrayList<>();
        for (Path f : files) {
            String text = Files.readString(f);
            boolean java = f.toString().endsWith(".java");
            if (java) {
                text = text.replaceAll("\\n\\s*\\* ?", " "); // Javadoc continuation lines
            }
            Matcher m = (java ? JAVADOC_CODE : CODE).matcher(text);
            List<String> inFile = new ArrayList<>();
            while (m.find()) {
                for (String line : m.group(1).split("\\n")) {
                    String cmd = line.strip().replaceAll("\\s+", " ");
                    int at = cmd.startsWith("mvn ") ? 0 : cmd.indexOf(" mvn ") + 1; // after VAR=value prefixes
                    if (at >= 0 && cmd.startsWith("mvn ", at)) {
                        inFile.add(cmd.substring(at));
                    }
                }
            }
            boolean install = inFile.stream().anyMatch(c -> c.matches("mvn .*\\binstall\\b.*") && !c.contains(" -pl "));
            inFile.forEach(c -> found.add(new Command(c, f, install)));
        }
        return found;
    }

    @Test
    void theDocsGiveCommands() throws IOException {
        assertThat(commands()).as("mvn commands found").hasSizeGreaterThan(10);
    }

    @Test
    void everyExecCommandRunsALifecyclePhaseFirst() throws IOException {
        for (Command c : commands()) {
            if (c.text().contains("exec:exec")) {
                String before = c.text().substring(0, c.text().indexOf("exec:exec"));
                assertThat(PHASE.matcher(before).find())
                        .as("%s: '%s' needs a phase before exec:exec, or the default JDK runs it", c.file(), c.text())
                        .isTrue();
            }
        }
    }

    @Test
    void everyMainClassExistsAndHasAMain() throws Exception {
        for (Command c : commands()) {
            Matcher m = MAIN_CLASS.matcher(c.text());
            if (m.find()) {
                Class<?> main = Class.forName(m.group(1));
                Method method = main.getMethod("main", String[].class);
                assertThat(Modifier.isStatic(method.getModifiers())).as("%s: %s.main is static", c.file(), main).isTrue();
            }
        }
    }

    @Test
    void aProjectListComesWithItsDependenciesOrAfterAnInstall() throws IOException {
        for (Command c : commands()) {
            if (c.text().contains(" -pl ")) {
                assertThat(c.text().contains(" -am") || c.fileDocumentsInstall())
                        .as("%s: '%s' builds one module of a fresh clone: it needs -am (or a documented install)",
                                c.file(), c.text())
                        .isTrue();
            }
        }
    }

    @Test
    void appArgsReachTheProgramSplitAtSpaces() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        assertThat(pom).as("exec passes ${exec.appArgs} inside commandlineArgs, which Maven splits at spaces")
                .containsPattern("<commandlineArgs>[^<]*\\$\\{exec\\.appArgs}</commandlineArgs>")
                .doesNotContain("<argument>${exec.appArgs}</argument>");
    }

    @Test
    void readmeGivesTwoSetUpCommandsAndCiRunsTheTestCommand() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String setUp = readme.substring(readme.indexOf("## Set up and run"));
        setUp = setUp.substring(0, setUp.indexOf("\n## ", 3));
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```\\n(.*?)```", Pattern.DOTALL).matcher(setUp);
        while (m.find()) {
            blocks.add(m.group(1).strip());
        }
        assertThat(blocks).as("README's set-up commands").hasSize(2);
        assertThat(blocks.get(0)).contains("exec:exec");
        assertThat(Files.readString(ROOT.resolve(".ci/run"))).as(".ci/run runs README's test command")
                .contains(blocks.get(1));
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
