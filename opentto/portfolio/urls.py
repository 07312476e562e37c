from django.urls import path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("", views.portfolio_view, name="index"),
    path("patents/<int:pk>/", views.patent_view, name="patent"),
]
