"""Bilingual building blocks for the demo story (see ``opentto.demo.story``)."""
