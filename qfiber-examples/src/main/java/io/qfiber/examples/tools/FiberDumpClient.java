package io.qfiber.examples.tools;

import com.sun.tools.attach.VirtualMachine;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Prints the fiber dump of another JVM on this machine, by process id: attaches to it, starts its
 * local JMX agent if needed, and calls the {@code dump} operation of the MBean
 * {@code io.qfiber:type=FiberDump}. The target needs no flag and no code change.
 *
 * <p>Run: {@code mvn -q -DskipTests package exec:exec -Dexec.mainClass=io.qfiber.examples.tools.FiberDumpClient
 * -Dexec.appArgs="<pid> [stacks]"}; find the pid with {@code jps}.
 */
public final class FiberDumpClient {
    private FiberDumpClient() {}

    /**
     * Prints the dump.
     *
     * @param args the target's process id, and optionally {@code stacks}
     * @throws Exception if the target cannot be reached
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args[0].isBlank()) {
            System.err.println("usage: FiberDumpClient <pid> [stacks]");
            System.exit(2);
        }
        String[] parts = args[0].trim().split("\\s+");
        String pid = parts[0];
        boolean stacks = (parts.length > 1 && parts[1].equals("stacks")) || (args.length > 1 && args[1].equals("stacks"));
        VirtualMachine vm = VirtualMachine.attach(pid);
        String address;
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            Object dump = server.invoke(new ObjectName("io.qfiber:type=FiberDump"), stacks ? "dumpWithStacks" : "dump",
                    new Object[0], new String[0]);
            System.out.print(dump);
        }
    }
}
