"""Which object the integer parameter of each URL names (the matrix fills it with the own or the
other organisation's object of that kind, built by ``matrix.build_world``: a kind it does not build
fails the walk). ``"none"``: the parameter is not an object (a year, a token), filled with a value
no object has."""

KINDS: dict[str, str] = {
    # accounts / access
    "accounts:access_decide": "access_request", "accounts:access_nda": "access_request", "accounts:access_request": "result",
    "accounts:access_revoke": "access_grant", "accounts:access_withdraw": "access_request", "accounts:person_private": "person",
    # REST API
    "deal-detail": "deal", "demand-detail": "demand", "demand-matches": "demand", "demand-feedback": "demand", "evaluation-detail": "round",
    "ipasset-detail": "ipasset", "match-detail": "match", "organisation-detail": "organisation", "payment-detail": "payment",
    "person-detail": "person", "plan-detail": "plan", "result-demands": "result", "result-detail": "result",
    "subsidyapplication-detail": "application", "subsidyprogramme-detail": "programme",
    "match-transition": "match", "plan-options": "plan", "plan-transition": "plan",
    "subsidyapplication-submit": "application", "subsidyapplication-withdraw": "application",
    # demands and matches
    "demands:contact": "demand", "demands:detail": "demand", "demands:edit": "demand", "demands:feedback": "demand",
    "demands:match": "match", "demands:match_deal": "match", "demands:match_transition": "match", "demands:matches": "demand",
    "demands:milestone_done": "milestone", "demands:project": "project", "demands:project_create": "demand",
    "demands:project_transition": "project", "demands:transition": "demand",
    # evaluation
    "evaluation:accept": "round", "evaluation:assign": "round", "evaluation:cancel": "round", "evaluation:deadline": "round",
    "evaluation:declare": "assignment", "evaluation:evidence": "evidence", "evaluation:finalise": "round", "evaluation:invite": "round",
    "evaluation:open": "result", "evaluation:remove": "round", "evaluation:reopen": "round", "evaluation:report": "round",
    "evaluation:report_pdf": "round", "evaluation:review": "assignment", "evaluation:round": "round", "evaluation:rubric": "rubric",
    "evaluation:rubric_revise": "rubric", "evaluation:invitation": "none",
    # imports (string tokens)
    "clashes:hold": "hold", "imports:errors": "none", "imports:export": "none", "imports:job": "none", "imports:repeat": "none", "imports:template": "none",
    # deals, payments, figures
    "landing:annual_report": "none", "landing:complete": "deal", "landing:cost": "deal", "landing:detail": "deal",
    "landing:distribute": "payment", "landing:distribution_preview": "payment", "landing:figures_xlsx": "none", "landing:in_force": "deal", "landing:notice": "deal",
    "landing:notice_withdraw": "deal", "landing:payment": "deal", "landing:royalty": "deal", "landing:schedule": "deal",
    "landing:sign": "deal", "landing:statement": "person", "landing:statement_pdf": "person", "landing:terminate": "deal",
    "landing:update": "deal", "landing:classify": "deal", "landing:registration_apply": "deal",
    "landing:registration_register": "deal", "landing:registration_return": "deal", "landing:registration_refuse": "deal",
    "landing:registration_documents": "deal", "landing:registration_document": "registration_document",
    "notifications:open": "notification", "organisations:detail": "organisation", "organisations:person": "person",
    # planning: plans, filings, pledges, deal rooms
    "planning:channel_create": "result", "planning:channel_status": "channel", "planning:confidentiality": "family",
    "planning:deadline_done": "deadline", "planning:family_create": "result", "planning:family_propose": "family",
    "planning:fee_reduction": "filing", "planning:filing_abandon": "filing", "planning:filing_create": "family", "planning:filing_update": "filing",
    "planning:ics": "none", "planning:negotiation": "plan", "planning:option_add": "plan", "planning:option_remove": "option",
    "planning:plan_create": "result", "planning:plan_move": "plan", "planning:plan_update": "plan", "planning:pledge_create": "result",
    "planning:pledge_move": "pledge", "planning:pool": "pool", "planning:result": "result", "planning:result_financing": "result",
    "planning:result_ip": "result", "planning:result_services": "result", "planning:room": "room", "planning:room_create": "result",
    "planning:room_document": "room", "planning:room_invite": "room", "planning:room_toggle": "room", "planning:service_log": "result",
    "planning:target_add": "plan", "planning:target_status": "target", "planning:task_create": "result", "planning:task_status": "task",
    # the planning edit screens
    "planning:channel_edit": "channel", "planning:filing_edit": "filing", "planning:pool_asset_edit": "pool_asset",
    "planning:pool_asset_remove": "pool_asset", "planning:pool_edit": "pool",
    "planning:valuation": "result", "planning:valuation_memo": "valuation", "planning:valuation_pdf": "valuation",
    # the patent portfolio
    "portfolio:patent": "filing",
    # results
    "results:attachment": "attachment", "results:deal_create": "result", "results:detail": "result", "results:edit": "result",
    "results:evaluation": "result", "results:plan": "result", "results:transition": "result",
    "showcase:detail": "result", "showcase:detail_short": "result", "showcase:interest": "result",
    # tax
    "tax:deal_facts": "deal", "tax:deal_year": "deal", "tax:profile": "organisation", "tax:year": "organisation",
    # proof of concept
    "poc:create": "result", "poc:detail": "poc_project", "poc:commit": "poc_project", "poc:spend": "poc_project",
    "poc:milestone": "poc_project", "poc:review": "poc_project", "poc:stop": "poc_project", "poc:transition": "poc_project",
    "poc:milestone_done": "poc_milestone", "poc:evidence": "poc_evidence",
    # researchers' ownership and use rights (赋权)
    "rights:agreement": "rights_application", "rights:agreement_file": "rights_application", "rights:create": "result",
    "rights:detail": "rights_application", "rights:effect": "rights_application", "rights:grant": "rights_application",
    "rights:notice": "rights_application", "rights:objection": "rights_application", "rights:refuse": "rights_application",
    "rights:submit": "rights_application", "rights:withdraw": "rights_application",
    # subsidies
    "subsidies:apply": "programme", "subsidies:approve": "application", "subsidies:detail": "application",
    "subsidies:recognise": "application", "subsidies:reject": "application", "subsidies:review_open": "application",
    "subsidies:review_override": "application", "subsidies:start_review": "application", "subsidies:submit": "application",
    "subsidies:tranche": "application", "subsidies:tranche_accept": "tranche", "subsidies:tranche_pay": "tranche",
    "subsidies:withdraw": "application",
}
