--
-- PostgreSQL database dump
--

\restrict 2rPrcHdO7S8qYUDrzwbZqqiXegSwR3bTCLkXYXOjwAQGSHOcR1vQdnBkLZRSiRm

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: ai; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA ai;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: agno_memories; Type: TABLE; Schema: ai; Owner: -
--

CREATE TABLE ai.agno_memories (
    memory_id character varying NOT NULL,
    memory jsonb NOT NULL,
    feedback text,
    input text,
    agent_id character varying,
    team_id character varying,
    user_id character varying,
    topics jsonb,
    created_at bigint NOT NULL,
    updated_at bigint
);


--
-- Name: agno_schema_versions; Type: TABLE; Schema: ai; Owner: -
--

CREATE TABLE ai.agno_schema_versions (
    table_name character varying NOT NULL,
    version character varying NOT NULL,
    created_at character varying NOT NULL,
    updated_at character varying
);


--
-- Name: agno_sessions; Type: TABLE; Schema: ai; Owner: -
--

CREATE TABLE ai.agno_sessions (
    session_id character varying NOT NULL,
    session_type character varying NOT NULL,
    agent_id character varying,
    team_id character varying,
    workflow_id character varying,
    user_id character varying,
    session_data jsonb,
    agent_data jsonb,
    team_data jsonb,
    workflow_data jsonb,
    metadata jsonb,
    runs jsonb,
    summary jsonb,
    created_at bigint NOT NULL,
    updated_at bigint
);


--
-- Data for Name: agno_memories; Type: TABLE DATA; Schema: ai; Owner: -
--

COPY ai.agno_memories (memory_id, memory, feedback, input, agent_id, team_id, user_id, topics, created_at, updated_at) FROM stdin;
m1	"lives in Lisbon"	\N	\N	\N	\N	ada	["home"]	1796348163	1764000000
m2	"plays chess"	\N	\N	\N	\N	bob	["hobby"]	1796348163	1764000000
\.


--
-- Data for Name: agno_schema_versions; Type: TABLE DATA; Schema: ai; Owner: -
--

COPY ai.agno_schema_versions (table_name, version, created_at, updated_at) FROM stdin;
agno_sessions	2.5.6	2026-12-04T01:36:03.758695	2026-12-04T01:36:03.758695
agno_memories	2.5.6	2026-12-04T01:36:03.971003	2026-12-04T01:36:03.971003
\.


--
-- Data for Name: agno_sessions; Type: TABLE DATA; Schema: ai; Owner: -
--

COPY ai.agno_sessions (session_id, session_type, agent_id, team_id, workflow_id, user_id, session_data, agent_data, team_data, workflow_data, metadata, runs, summary, created_at, updated_at) FROM stdin;
s1	agent	helper	\N	\N	ada	{"session_state": {"color": "blue"}}	null	\N	\N	null	[{"input": {"input_content": "question 0"}, "run_id": "a-0", "status": "COMPLETED", "content": "answer to question 0", "agent_id": "helper", "messages": [{"id": "b8233d1d-26aa-4ce2-990a-92734b12e1a1", "role": "user", "content": "question 0", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}, {"id": "95fc4fc7-f75b-4024-8b0d-08d5f3f3e8d6", "role": "assistant", "content": "answer to question 0", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}], "created_at": 1764000000, "session_id": "s1", "content_type": "str"}, {"input": {"input_content": "question 1"}, "run_id": "a-1", "status": "COMPLETED", "content": "answer to question 1", "agent_id": "helper", "messages": [{"id": "78088e79-6b27-40c3-a510-dc7b6a50099b", "role": "user", "content": "question 1", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}, {"id": "ad684441-5f85-41b2-a916-fc8d133dcbff", "role": "assistant", "content": "answer to question 1", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}], "created_at": 1764000001, "session_id": "s1", "content_type": "str"}, {"input": {"input_content": "question 2"}, "run_id": "a-2", "status": "COMPLETED", "content": "answer to question 2", "agent_id": "helper", "messages": [{"id": "392fd4b1-0ece-4d93-a4d0-998c038a1b32", "role": "user", "content": "question 2", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}, {"id": "b6b5117b-9584-4f64-a936-ace308f2b308", "role": "assistant", "content": "answer to question 2", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}], "created_at": 1764000002, "session_id": "s1", "content_type": "str"}, {"input": {"input_content": "question 3"}, "run_id": "a-3", "status": "COMPLETED", "content": "answer to question 3", "agent_id": "helper", "messages": [{"id": "94e5eba6-0a74-439a-9f87-d1d1747a36d3", "role": "user", "content": "question 3", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}, {"id": "80454362-e4fa-4459-bfac-9839e4c317db", "role": "assistant", "content": "answer to question 3", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}], "created_at": 1764000003, "session_id": "s1", "content_type": "str"}]	{"topics": ["questions"], "summary": "Ada asked four questions."}	1764000000	1764000000
s2	agent	helper	\N	\N	bob	null	null	\N	\N	null	[{"input": {"input_content": "hello"}, "run_id": "b-0", "status": "COMPLETED", "content": "answer to hello", "agent_id": "helper", "messages": [{"id": "b57c7eab-fd23-490e-b90d-df9880055d2f", "role": "user", "content": "hello", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}, {"id": "1eef1f0d-eb26-4f4d-b7b0-73dca4da95be", "role": "assistant", "content": "answer to hello", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}], "created_at": 1764000020, "session_id": "s2", "content_type": "str"}]	null	1764000020	1764000020
s-empty	agent	helper	\N	\N	bob	null	null	\N	\N	null	null	null	1764000030	1764000030
t1	team	\N	pair	\N	ada	null	\N	null	\N	null	[{"input": {"input_content": "plan a picnic"}, "run_id": "t-0-m1", "status": "COMPLETED", "content": "answer to plan a picnic", "agent_id": "member-1", "messages": [{"id": "eb4221a1-5ee0-4750-bd94-fd7e1ec72b78", "role": "user", "content": "plan a picnic", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}, {"id": "ff462e98-f21d-4a65-99b7-d96dce7f4ec5", "role": "assistant", "content": "answer to plan a picnic", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}], "created_at": 1764000041, "session_id": "t1", "content_type": "str", "parent_run_id": "t-0"}, {"input": {"input_content": "plan a picnic"}, "run_id": "t-0-m2", "status": "COMPLETED", "content": "answer to plan a picnic", "agent_id": "member-2", "messages": [{"id": "408f02d3-ed35-4607-b5d2-7b1b252bd610", "role": "user", "content": "plan a picnic", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}, {"id": "20d712a5-a168-4161-ac6b-ae05beb4cbde", "role": "assistant", "content": "answer to plan a picnic", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}], "created_at": 1764000041, "session_id": "t1", "content_type": "str", "parent_run_id": "t-0"}, {"input": {"input_content": "plan a picnic"}, "run_id": "t-0", "status": "COMPLETED", "content": "answer to plan a picnic", "team_id": "pair", "messages": [{"id": "7f2e3197-8c96-4647-b964-2a99393b6655", "role": "user", "content": "plan a picnic", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}, {"id": "846699f0-b869-4748-a32c-175d1aa81c78", "role": "assistant", "content": "answer to plan a picnic", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}], "created_at": 1764000040, "session_id": "t1", "content_type": "str", "member_responses": [{"input": {"input_content": "plan a picnic"}, "run_id": "t-0-m1", "status": "COMPLETED", "content": "answer to plan a picnic", "agent_id": "member-1", "messages": [{"id": "eb4221a1-5ee0-4750-bd94-fd7e1ec72b78", "role": "user", "content": "plan a picnic", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}, {"id": "ff462e98-f21d-4a65-99b7-d96dce7f4ec5", "role": "assistant", "content": "answer to plan a picnic", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}], "created_at": 1764000041, "session_id": "t1", "content_type": "str", "parent_run_id": "t-0"}, {"input": {"input_content": "plan a picnic"}, "run_id": "t-0-m2", "status": "COMPLETED", "content": "answer to plan a picnic", "agent_id": "member-2", "messages": [{"id": "408f02d3-ed35-4607-b5d2-7b1b252bd610", "role": "user", "content": "plan a picnic", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}, {"id": "20d712a5-a168-4161-ac6b-ae05beb4cbde", "role": "assistant", "content": "answer to plan a picnic", "created_at": 1796348163, "from_history": false, "stop_after_tool_call": false}], "created_at": 1764000041, "session_id": "t1", "content_type": "str", "parent_run_id": "t-0"}]}]	null	1764000040	1764000040
w1	workflow	\N	\N	write	bob	{}	\N	\N	{}	{}	[{"run_id": "w-0", "status": "COMPLETED", "content": "haiku 0", "created_at": 1764000050, "session_id": "w1", "workflow_id": "write", "content_type": "str"}, {"run_id": "w-1", "status": "COMPLETED", "content": "haiku 1", "created_at": 1764000051, "session_id": "w1", "workflow_id": "write", "content_type": "str"}]	null	1764000050	1764000050
\.


--
-- Name: agno_memories agno_memories_pkey; Type: CONSTRAINT; Schema: ai; Owner: -
--

ALTER TABLE ONLY ai.agno_memories
    ADD CONSTRAINT agno_memories_pkey PRIMARY KEY (memory_id);


--
-- Name: agno_schema_versions agno_schema_versions_pkey; Type: CONSTRAINT; Schema: ai; Owner: -
--

ALTER TABLE ONLY ai.agno_schema_versions
    ADD CONSTRAINT agno_schema_versions_pkey PRIMARY KEY (table_name);


--
-- Name: agno_sessions agno_sessions_pkey; Type: CONSTRAINT; Schema: ai; Owner: -
--

ALTER TABLE ONLY ai.agno_sessions
    ADD CONSTRAINT agno_sessions_pkey PRIMARY KEY (session_id);


--
-- Name: idx_agno_memories_created_at; Type: INDEX; Schema: ai; Owner: -
--

CREATE INDEX idx_agno_memories_created_at ON ai.agno_memories USING btree (created_at);


--
-- Name: idx_agno_memories_updated_at; Type: INDEX; Schema: ai; Owner: -
--

CREATE INDEX idx_agno_memories_updated_at ON ai.agno_memories USING btree (updated_at);


--
-- Name: idx_agno_memories_user_id; Type: INDEX; Schema: ai; Owner: -
--

CREATE INDEX idx_agno_memories_user_id ON ai.agno_memories USING btree (user_id);


--
-- Name: idx_agno_schema_versions_created_at; Type: INDEX; Schema: ai; Owner: -
--

CREATE INDEX idx_agno_schema_versions_created_at ON ai.agno_schema_versions USING btree (created_at);


--
-- Name: idx_agno_sessions_created_at; Type: INDEX; Schema: ai; Owner: -
--

CREATE INDEX idx_agno_sessions_created_at ON ai.agno_sessions USING btree (created_at);


--
-- Name: idx_agno_sessions_session_type; Type: INDEX; Schema: ai; Owner: -
--

CREATE INDEX idx_agno_sessions_session_type ON ai.agno_sessions USING btree (session_type);


--
-- PostgreSQL database dump complete
--

\unrestrict 2rPrcHdO7S8qYUDrzwbZqqiXegSwR3bTCLkXYXOjwAQGSHOcR1vQdnBkLZRSiRm

