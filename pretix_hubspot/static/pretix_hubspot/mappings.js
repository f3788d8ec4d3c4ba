/*
 * The value-mapping dialog of the HubSpot mapping editor.
 *
 * pretix's property rows carry a hidden "value_map" input and a button that opens #editValueMapModal, but pretix
 * does not ship that dialog. This file shows the button for pretix choice fields (e.g. order status), lets the
 * organizer pick a HubSpot value for each pretix option (e.g. a deal stage of the pipeline), and stores the result
 * as the JSON object pretix's data sync expects ({"pretix option": "HubSpot value"}).
 */
$(function () {
    'use strict'

    const $modal = $('#editValueMapModal')
    if (!$modal.length) {
        return
    }
    const $pretixFieldsScript = $('#hubspot-pretix-fields')
    const pretixFields = $pretixFieldsScript.length ? JSON.parse($pretixFieldsScript.text()) : {}
    const hubspotProperties = {}
    const $externalFields = $($modal.attr('data-external-fields'))
    if ($externalFields.length) {
        JSON.parse($externalFields.text()).forEach(function (property) {
            hubspotProperties[property.id] = property
        })
    }

    function parseValueMap (raw) {
        if (!raw) {
            return {}
        }
        try {
            const value = JSON.parse(raw)
            return (value && typeof value === 'object' && !Array.isArray(value)) ? value : {}
        } catch (e) {
            return {}
        }
    }

    function rowState ($row) {
        return {
            field: pretixFields[$row.find('select[name$="-pretix_field"]').val()],
            property: hubspotProperties[$row.find('[name$="-external_field"]').val()],
            $input: $row.find('input[name$="-value_map"]'),
        }
    }

    function unmappedOptions (state) {
        // Options of the pretix field that would reach a HubSpot option list without a valid HubSpot value.
        if (!state.field || !state.property || !state.property.options || !state.property.options.length) {
            return []
        }
        const map = parseValueMap(state.$input.val())
        const useMap = Object.keys(map).length > 0
        const allowed = state.property.options.map(function (option) { return option[0] })
        return state.field.options.filter(function (option) {
            const value = useMap ? map[option[0]] : option[0]
            return allowed.indexOf(value) === -1
        })
    }

    function refreshRow ($row) {
        const state = rowState($row)
        $row.find('[data-edit-value-map]').toggleClass('hidden', !state.field)
        const $warning = $row.find('.fa-warning')
        if (unmappedOptions(state).length) {
            const text = $modal.attr('data-text-incomplete')
            $warning.removeClass('hidden').attr('title', text).attr('data-original-title', text)
        } else {
            $warning.addClass('hidden')
        }
    }

    function refreshAll () {
        $('[data-hubspot-mapping-editor] [data-formset-form]').each(function () {
            refreshRow($(this))
        })
    }

    $(document).on('change', '[data-hubspot-mapping-editor] [data-formset-form] select, ' +
        '[data-hubspot-mapping-editor] [data-formset-form] input', function () {
        refreshRow($(this).closest('[data-formset-form]'))
    })
    $(document).on('formAdded', '[data-hubspot-mapping-editor] [data-formset-form]', function () {
        refreshRow($(this))
    })

    $modal.on('show.bs.modal', function (event) {
        const $row = $(event.relatedTarget).closest('[data-formset-form]')
        const state = rowState($row)
        $modal.data('row', $row)
        const map = parseValueMap(state.$input.val())
        const $body = $modal.find('[data-value-map-rows]').empty()
        if (!state.field) {
            return
        }
        state.field.options.forEach(function (option) {
            const key = option[0]
            let $control
            if (state.property && state.property.options && state.property.options.length) {
                $control = $('<select class="form-control">')
                $control.append($('<option value="">').text($modal.attr('data-text-unmapped')))
                state.property.options.forEach(function (hubspotOption) {
                    $control.append($('<option>').val(hubspotOption[0])
                        .text(hubspotOption[1] + ' (' + hubspotOption[0] + ')'))
                })
                $control.val(map[key] || '')
            } else {
                $control = $('<input type="text" class="form-control">').val(map[key] || '')
            }
            $control.attr('data-value-map-key', key).attr('aria-label', option[1])
            $body.append($('<tr>').append($('<td>').text(option[1])).append($('<td>').append($control)))
        })
    })

    $modal.find('[data-value-map-apply]').on('click', function () {
        const $row = $modal.data('row')
        if (!$row) {
            return
        }
        const map = {}
        $modal.find('[data-value-map-key]').each(function () {
            const value = $(this).val()
            if (value) {
                map[$(this).attr('data-value-map-key')] = value
            }
        })
        const $input = rowState($row).$input
        $input.val(Object.keys(map).length ? JSON.stringify(map) : '').trigger('change')
        refreshRow($row)
        $modal.modal('hide')
    })

    refreshAll()
})
