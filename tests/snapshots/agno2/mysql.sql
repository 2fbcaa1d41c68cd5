/*M!999999\- enable the sandbox mode */ 

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
DROP TABLE IF EXISTS `agno_memories`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `agno_memories` (
  `memory_id` varchar(128) NOT NULL,
  `memory` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (json_valid(`memory`)),
  `input` text DEFAULT NULL,
  `agent_id` varchar(128) DEFAULT NULL,
  `team_id` varchar(128) DEFAULT NULL,
  `user_id` varchar(128) DEFAULT NULL,
  `topics` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`topics`)),
  `feedback` text DEFAULT NULL,
  `created_at` bigint(20) NOT NULL,
  `updated_at` bigint(20) DEFAULT NULL,
  PRIMARY KEY (`memory_id`),
  KEY `idx_agno_memories_updated_at` (`updated_at`),
  KEY `idx_agno_memories_user_id` (`user_id`),
  KEY `idx_agno_memories_created_at` (`created_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES `agno_memories` WRITE;
/*!40000 ALTER TABLE `agno_memories` DISABLE KEYS */;
INSERT INTO `agno_memories` VALUES
('m1','\"lives in Lisbon\"',NULL,NULL,NULL,'ada','[\"home\"]',NULL,1796348164,1796348164),
('m2','\"plays chess\"',NULL,NULL,NULL,'bob','[\"hobby\"]',NULL,1796348165,1796348165);
/*!40000 ALTER TABLE `agno_memories` ENABLE KEYS */;
UNLOCK TABLES;
DROP TABLE IF EXISTS `agno_schema_versions`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `agno_schema_versions` (
  `table_name` varchar(128) NOT NULL,
  `version` varchar(10) NOT NULL,
  `created_at` varchar(128) NOT NULL,
  `updated_at` varchar(128) DEFAULT NULL,
  PRIMARY KEY (`table_name`),
  KEY `idx_agno_schema_versions_created_at` (`created_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES `agno_schema_versions` WRITE;
/*!40000 ALTER TABLE `agno_schema_versions` DISABLE KEYS */;
INSERT INTO `agno_schema_versions` VALUES
('agno_memories','2.5.6','2026-12-04T01:36:05.091989','2026-12-04T01:36:05.091989'),
('agno_sessions','2.5.6','2026-12-04T01:36:04.728642','2026-12-04T01:36:04.728642');
/*!40000 ALTER TABLE `agno_schema_versions` ENABLE KEYS */;
UNLOCK TABLES;
DROP TABLE IF EXISTS `agno_sessions`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `agno_sessions` (
  `session_id` varchar(128) NOT NULL,
  `session_type` varchar(20) NOT NULL,
  `agent_id` varchar(128) DEFAULT NULL,
  `team_id` varchar(128) DEFAULT NULL,
  `workflow_id` varchar(128) DEFAULT NULL,
  `user_id` varchar(128) DEFAULT NULL,
  `session_data` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`session_data`)),
  `agent_data` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`agent_data`)),
  `team_data` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`team_data`)),
  `workflow_data` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`workflow_data`)),
  `metadata` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`metadata`)),
  `runs` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`runs`)),
  `summary` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`summary`)),
  `created_at` bigint(20) NOT NULL,
  `updated_at` bigint(20) DEFAULT NULL,
  PRIMARY KEY (`session_id`),
  KEY `idx_agno_sessions_created_at` (`created_at`),
  KEY `idx_agno_sessions_session_type` (`session_type`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES `agno_sessions` WRITE;
/*!40000 ALTER TABLE `agno_sessions` DISABLE KEYS */;
INSERT INTO `agno_sessions` VALUES
('s-empty','agent','helper',NULL,NULL,'bob','null','null',NULL,NULL,'null','null','null',1764000030,1764000030),
('s1','agent','helper',NULL,NULL,'ada','{\"session_state\": {\"color\": \"blue\"}}','null',NULL,NULL,'null','[{\"run_id\": \"a-0\", \"agent_id\": \"helper\", \"session_id\": \"s1\", \"content\": \"answer to question 0\", \"content_type\": \"str\", \"created_at\": 1764000000, \"status\": \"COMPLETED\", \"messages\": [{\"id\": \"fce16875-fa65-43c9-a9be-dd608077efb9\", \"content\": \"question 0\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"user\", \"created_at\": 1796348164}, {\"id\": \"e2d05d5a-2fe0-42f9-8bf0-eafcf9d496c4\", \"content\": \"answer to question 0\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"assistant\", \"created_at\": 1796348164}], \"input\": {\"input_content\": \"question 0\"}}, {\"run_id\": \"a-1\", \"agent_id\": \"helper\", \"session_id\": \"s1\", \"content\": \"answer to question 1\", \"content_type\": \"str\", \"created_at\": 1764000001, \"status\": \"COMPLETED\", \"messages\": [{\"id\": \"b77b5e8f-f85b-4298-b006-8a7e772adea2\", \"content\": \"question 1\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"user\", \"created_at\": 1796348164}, {\"id\": \"f6e30c3f-2802-4ee0-bdc8-11eea5f74eb0\", \"content\": \"answer to question 1\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"assistant\", \"created_at\": 1796348164}], \"input\": {\"input_content\": \"question 1\"}}, {\"run_id\": \"a-2\", \"agent_id\": \"helper\", \"session_id\": \"s1\", \"content\": \"answer to question 2\", \"content_type\": \"str\", \"created_at\": 1764000002, \"status\": \"COMPLETED\", \"messages\": [{\"id\": \"4004bf2c-9204-411d-80d9-641d3dac5080\", \"content\": \"question 2\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"user\", \"created_at\": 1796348164}, {\"id\": \"560b04bb-2624-4cd9-bd03-f46bfd439ecc\", \"content\": \"answer to question 2\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"assistant\", \"created_at\": 1796348164}], \"input\": {\"input_content\": \"question 2\"}}, {\"run_id\": \"a-3\", \"agent_id\": \"helper\", \"session_id\": \"s1\", \"content\": \"answer to question 3\", \"content_type\": \"str\", \"created_at\": 1764000003, \"status\": \"COMPLETED\", \"messages\": [{\"id\": \"c3d0e4a2-2b75-4bbe-b00b-eb8d744eef8c\", \"content\": \"question 3\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"user\", \"created_at\": 1796348164}, {\"id\": \"8c9b5290-55b0-498f-9aa3-ff1f3e9cb66a\", \"content\": \"answer to question 3\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"assistant\", \"created_at\": 1796348164}], \"input\": {\"input_content\": \"question 3\"}}]','{\"summary\": \"Ada asked four questions.\", \"topics\": [\"questions\"]}',1764000000,1764000000),
('s2','agent','helper',NULL,NULL,'bob','null','null',NULL,NULL,'null','[{\"run_id\": \"b-0\", \"agent_id\": \"helper\", \"session_id\": \"s2\", \"content\": \"answer to hello\", \"content_type\": \"str\", \"created_at\": 1764000020, \"status\": \"COMPLETED\", \"messages\": [{\"id\": \"27ba1ee1-ce49-4a17-ab1a-6195472b5934\", \"content\": \"hello\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"user\", \"created_at\": 1796348164}, {\"id\": \"15beec03-ccbd-4917-b017-b50c5745235c\", \"content\": \"answer to hello\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"assistant\", \"created_at\": 1796348164}], \"input\": {\"input_content\": \"hello\"}}]','null',1764000020,1764000020),
('t1','team',NULL,'pair',NULL,'ada','null',NULL,'null',NULL,'null','[{\"run_id\": \"t-0-m1\", \"agent_id\": \"member-1\", \"session_id\": \"t1\", \"parent_run_id\": \"t-0\", \"content\": \"answer to plan a picnic\", \"content_type\": \"str\", \"created_at\": 1764000041, \"status\": \"COMPLETED\", \"messages\": [{\"id\": \"b05653c6-7550-4a17-b5ee-8f905fb409d8\", \"content\": \"plan a picnic\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"user\", \"created_at\": 1796348164}, {\"id\": \"065751f4-7c50-47e8-b5dc-1936d4b0df7b\", \"content\": \"answer to plan a picnic\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"assistant\", \"created_at\": 1796348164}], \"input\": {\"input_content\": \"plan a picnic\"}}, {\"run_id\": \"t-0-m2\", \"agent_id\": \"member-2\", \"session_id\": \"t1\", \"parent_run_id\": \"t-0\", \"content\": \"answer to plan a picnic\", \"content_type\": \"str\", \"created_at\": 1764000041, \"status\": \"COMPLETED\", \"messages\": [{\"id\": \"8057348b-ac59-45fe-b278-1ccb6b89b864\", \"content\": \"plan a picnic\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"user\", \"created_at\": 1796348164}, {\"id\": \"69365a2a-25c4-4f76-8433-124a56f43b11\", \"content\": \"answer to plan a picnic\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"assistant\", \"created_at\": 1796348164}], \"input\": {\"input_content\": \"plan a picnic\"}}, {\"run_id\": \"t-0\", \"team_id\": \"pair\", \"session_id\": \"t1\", \"input\": {\"input_content\": \"plan a picnic\"}, \"content\": \"answer to plan a picnic\", \"content_type\": \"str\", \"member_responses\": [{\"run_id\": \"t-0-m1\", \"agent_id\": \"member-1\", \"session_id\": \"t1\", \"parent_run_id\": \"t-0\", \"content\": \"answer to plan a picnic\", \"content_type\": \"str\", \"created_at\": 1764000041, \"status\": \"COMPLETED\", \"messages\": [{\"id\": \"b05653c6-7550-4a17-b5ee-8f905fb409d8\", \"content\": \"plan a picnic\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"user\", \"created_at\": 1796348164}, {\"id\": \"065751f4-7c50-47e8-b5dc-1936d4b0df7b\", \"content\": \"answer to plan a picnic\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"assistant\", \"created_at\": 1796348164}], \"input\": {\"input_content\": \"plan a picnic\"}}, {\"run_id\": \"t-0-m2\", \"agent_id\": \"member-2\", \"session_id\": \"t1\", \"parent_run_id\": \"t-0\", \"content\": \"answer to plan a picnic\", \"content_type\": \"str\", \"created_at\": 1764000041, \"status\": \"COMPLETED\", \"messages\": [{\"id\": \"8057348b-ac59-45fe-b278-1ccb6b89b864\", \"content\": \"plan a picnic\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"user\", \"created_at\": 1796348164}, {\"id\": \"69365a2a-25c4-4f76-8433-124a56f43b11\", \"content\": \"answer to plan a picnic\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"assistant\", \"created_at\": 1796348164}], \"input\": {\"input_content\": \"plan a picnic\"}}], \"created_at\": 1764000040, \"status\": \"COMPLETED\", \"messages\": [{\"id\": \"442b9b78-67fa-41be-bb8f-21e0402597f6\", \"content\": \"plan a picnic\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"user\", \"created_at\": 1796348164}, {\"id\": \"236c1b7c-723c-4898-a8b8-98204a045e0e\", \"content\": \"answer to plan a picnic\", \"from_history\": false, \"stop_after_tool_call\": false, \"role\": \"assistant\", \"created_at\": 1796348164}]}]','null',1764000040,1764000040),
('w1','workflow',NULL,NULL,'write','bob','{}',NULL,NULL,'{}','{}','[{\"content\": \"haiku 0\", \"content_type\": \"str\", \"workflow_id\": \"write\", \"run_id\": \"w-0\", \"session_id\": \"w1\", \"created_at\": 1764000050, \"status\": \"COMPLETED\"}, {\"content\": \"haiku 1\", \"content_type\": \"str\", \"workflow_id\": \"write\", \"run_id\": \"w-1\", \"session_id\": \"w1\", \"created_at\": 1764000051, \"status\": \"COMPLETED\"}]','null',1764000050,1764000050);
/*!40000 ALTER TABLE `agno_sessions` ENABLE KEYS */;
UNLOCK TABLES;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

