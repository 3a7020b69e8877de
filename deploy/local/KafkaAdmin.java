// Tiny Kafka admin helper for deploy/local/stack.sh, compiled once against the broker's own
// kafka-clients jar and cached (one JVM start per call instead of one per kafka tool).
//
//   wait   <bootstrap> <timeoutMs>                  until the broker answers a metadata request
//   info   <bootstrap>                              "<clusterId> <metadata.version>"
//   ensure-topic <bootstrap> <name> <partitions> [key=value ...]
//                                                   create if missing, else enforce the given configs
//
// Exit codes: 0 ok, 1 failure (message on stderr).
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

public final class KafkaAdmin {
  public static void main(String[] args) {
    if (args.length < 2) usage();
    try {
      int rc = switch (args[0]) {
        case "wait" -> waitReady(args[1], args.length > 2 ? Long.parseLong(args[2]) : 60_000L);
        case "info" -> info(args[1]);
        case "ensure-topic" -> ensureTopic(args);
        default -> { usage(); yield 2; }
      };
      System.exit(rc);
    } catch (Exception e) {
      System.err.println("kafka-admin: " + rootMessage(e));
      System.exit(1);
    }
  }

  private static Admin admin(String bootstrap, int timeoutMs) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "hookline-stack");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(timeoutMs));
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(timeoutMs));
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
    return Admin.create(p);
  }

  /** Ready = a metadata request returns at least one broker and an active controller. */
  private static int waitReady(String bootstrap, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    String last = "no answer";
    try (Admin admin = admin(bootstrap, 3_000)) {
      while (System.nanoTime() < deadline) {
        try {
          DescribeClusterResult r = admin.describeCluster();
          Collection<Node> nodes = r.nodes().get(3, TimeUnit.SECONDS);
          Node controller = r.controller().get(3, TimeUnit.SECONDS);
          if (!nodes.isEmpty() && controller != null && !controller.isEmpty()) return 0;
          last = "no broker registered yet";
        } catch (Exception e) {
          last = rootMessage(e);
        }
        Thread.sleep(300);
      }
    }
    System.err.println("kafka-admin: broker at " + bootstrap + " not ready after " + timeoutMs + " ms: " + last);
    return 1;
  }

  private static int info(String bootstrap) throws Exception {
    try (Admin admin = admin(bootstrap, 5_000)) {
      String clusterId = admin.describeCluster().clusterId().get(5, TimeUnit.SECONDS);
      FeatureMetadata f = admin.describeFeatures().featureMetadata().get(5, TimeUnit.SECONDS);
      FinalizedVersionRange mv = f.finalizedFeatures().get("metadata.version");
      String metadataVersion = mv == null ? "?" : metadataVersionName(mv.maxVersionLevel());
      System.out.println(clusterId + " " + metadataVersion);
      return 0;
    }
  }

  /** Maps the metadata.version feature level to its release name via the broker's own jars. */
  private static String metadataVersionName(short level) {
    try {
      Class<?> mv = Class.forName("org.apache.kafka.server.common.MetadataVersion");
      Object v = mv.getMethod("fromFeatureLevel", short.class).invoke(null, level);
      return String.valueOf(mv.getMethod("version").invoke(v));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return "level " + level;
    }
  }

  private static int ensureTopic(String[] args) throws Exception {
    if (args.length < 4) usage();
    String bootstrap = args[1], name = args[2];
    int partitions = Integer.parseInt(args[3]);
    Map<String, String> configs = new HashMap<>();
    for (int i = 4; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq <= 0) usage();
      configs.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    try (Admin admin = admin(bootstrap, 10_000)) {
      Set<String> existing = admin.listTopics().names().get(10, TimeUnit.SECONDS);
      if (!existing.contains(name)) {
        try {
          admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs)))
              .all().get(10, TimeUnit.SECONDS);
          System.out.println("created " + name);
          return 0;
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) throw e;
        }
      }
      if (!configs.isEmpty()) {
        List<AlterConfigOp> ops = new ArrayList<>();
        configs.forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET)));
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, name), ops))
            .all().get(10, TimeUnit.SECONDS);
      }
      System.out.println("exists " + name);
      return 0;
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private static void usage() {
    System.err.println("usage: KafkaAdmin wait <bootstrap> [timeoutMs] | info <bootstrap> | "
        + "ensure-topic <bootstrap> <name> <partitions> [key=value ...]");
    System.exit(2);
  }
}
