"""Pages of the API's lists: `page` and `page_size` (at most 200) validated like the filters,
so that a page past the end or a malformed number is a 400, never DRF's 404."""

from django.core.paginator import InvalidPage
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200


class PageParams(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=10**9, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = gettext_lazy(
        "Number of results per page (1 to 200, 50 by default)."
    )
    page_query_description = gettext_lazy("Page number, from 1.")

    def paginate_queryset(self, queryset, request, view=None):
        params = PageParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        self.request = request
        size = params.validated_data.get("page_size", self.page_size)
        paginator = self.django_paginator_class(queryset, size)
        try:
            self.page = paginator.page(params.validated_data.get("page", 1))
        except InvalidPage:
            raise exceptions.ValidationError(
                {
                    "page": [
                        ngettext(
                            "This page does not exist: there is %(count)s page.",
                            "This page does not exist: there are %(count)s pages.",
                            paginator.num_pages,
                        )
                        % {"count": paginator.num_pages}
                    ]
                }
            ) from None
        return list(self.page)
